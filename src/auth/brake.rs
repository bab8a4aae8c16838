//! A brake on guessing client secrets: failed token requests are counted per client id and
//! per client address in a sliding 15-minute window; past either limit, token requests from
//! that client id or address are refused with 429 before the secret is even checked, until
//! the oldest failure leaves the window. Successful requests cost nothing.

use std::net::IpAddr;

use super::rate_limit::{SlidingWindow, WINDOW};
use crate::clock::Timestamp;
use crate::config::OauthLimits;
use crate::error::AppError;

#[derive(Debug)]
pub struct LoginBrake {
    limits: OauthLimits,
    clients: SlidingWindow<String>,
    addresses: SlidingWindow<IpAddr>,
}

/// Client ids longer than this are counted under their first bytes (memory stays bounded).
const MAX_CLIENT_ID_KEY: usize = 128;

fn client_key(client_id: &str) -> String {
    client_id.chars().take(MAX_CLIENT_ID_KEY).collect()
}

impl LoginBrake {
    pub fn new(limits: OauthLimits) -> Self {
        Self {
            limits,
            clients: SlidingWindow::new(WINDOW),
            addresses: SlidingWindow::new(WINDOW),
        }
    }

    fn refusal(limit: u32, retry_after_secs: u64) -> AppError {
        AppError::RateLimited {
            max: u64::from(limit),
            retry_after_secs,
            reset_secs: retry_after_secs,
        }
    }

    /// Refuses a token request when its client id or address has failed too often.
    pub fn check(
        &self,
        client_id: Option<&str>,
        address: Option<IpAddr>,
        now: Timestamp,
    ) -> Result<(), AppError> {
        if let Some(address) = address {
            let used = self.addresses.used(&address, now);
            if used >= u64::from(self.limits.failures_per_address) {
                let retry = self.addresses.retry_after(&address, now);
                return Err(Self::refusal(self.limits.failures_per_address, retry));
            }
        }
        if let Some(client_id) = client_id {
            let key = client_key(client_id);
            let used = self.clients.used(&key, now);
            if used >= u64::from(self.limits.failures_per_client) {
                let retry = self.clients.retry_after(&key, now);
                return Err(Self::refusal(self.limits.failures_per_client, retry));
            }
        }
        Ok(())
    }

    /// Counts a failed token request.
    pub fn failed(&self, client_id: Option<&str>, address: Option<IpAddr>, now: Timestamp) {
        if let Some(address) = address {
            let _ = self.addresses.try_count(&address, u32::MAX, 1, now);
        }
        if let Some(client_id) = client_id {
            let _ = self
                .clients
                .try_count(&client_key(client_id), u32::MAX, 1, now);
        }
    }

    pub fn sweep(&self, now: Timestamp) {
        self.clients.sweep(now);
        self.addresses.sweep(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millis(1_781_493_736_709 + ms).expect("in range")
    }

    #[test]
    fn failures_brake_the_client_id_and_the_address_separately() {
        let brake = LoginBrake::new(OauthLimits {
            failures_per_client: 3,
            failures_per_address: 5,
            requests_per_minute_per_address: 600,
        });
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        for _ in 0..3 {
            brake.check(Some("app"), Some(a), at(0)).expect("not yet");
            brake.failed(Some("app"), Some(a), at(0));
        }
        // The client id is braked from any address …
        let err = brake
            .check(Some("app"), Some(b), at(1_000))
            .expect_err("braked");
        assert_eq!(err.code().as_str(), "rate_limited");
        // … other client ids from the same address are not (yet).
        brake
            .check(Some("other"), Some(a), at(1_000))
            .expect("other client");
        brake.failed(Some("other"), Some(a), at(1_000));
        brake.failed(Some("third"), Some(a), at(1_000));
        // Five failures from one address: the address is braked for every client id.
        assert!(brake.check(Some("fresh"), Some(a), at(2_000)).is_err());
        assert!(brake.check(Some("fresh"), Some(b), at(2_000)).is_ok());
        // Fifteen minutes after the failures, both brakes are off.
        assert!(brake.check(Some("app"), Some(a), at(901_000)).is_ok());
    }
}
