//! The smooth brake in front of `/oauth/token`: token requests of any outcome, per client
//! address, as a GCRA (`tower_governor`): a burst of a sixth of the per-minute allowance, then
//! one request every 60/N seconds. The failure brake ([`super::brake`]) stops secret guessing;
//! this one keeps a flood from one address — even with the right secret — from taking the
//! endpoint's database lookups and signatures from everyone else. Beyond it: 429
//! `rate_limited` with `Retry-After`.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::response::IntoResponse;
use governor::middleware::NoOpMiddleware;
use tower_governor::GovernorError;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;

use crate::config::OauthLimits;
use crate::error::AppError;

/// The client's address: the TCP peer (behind a proxy, every client shares the proxy's, as
/// with the failure brake), an IPv6 one by its /64 (what one subscriber is usually given, so
/// hopping addresses within it gains nothing). A request without a peer (served in-process)
/// shares one key.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddress;

/// The key of an address: IPv4 as it is, IPv6 by its /64 network.
pub fn address_key(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u128::MAX >> 64))),
        v4 => v4,
    }
}

impl KeyExtractor for PeerAddress {
    type Key = IpAddr;

    fn extract<T>(&self, request: &axum::http::Request<T>) -> Result<IpAddr, GovernorError> {
        Ok(request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |ConnectInfo(peer)| {
                address_key(peer.ip())
            }))
    }
}

type Config = GovernorConfig<PeerAddress, NoOpMiddleware>;

/// The brake's state, shared by the route's layer and the sweeper.
#[derive(Debug, Clone)]
pub struct TokenPace(Arc<Config>);

impl TokenPace {
    pub fn new(limits: OauthLimits) -> anyhow::Result<Self> {
        let per_minute = limits.requests_per_minute_per_address.max(1);
        let config = GovernorConfigBuilder::default()
            .key_extractor(PeerAddress)
            .period(Duration::from_secs(60) / per_minute)
            .burst_size((per_minute / 6).max(1))
            .finish()
            .ok_or_else(|| {
                anyhow::anyhow!("invalid token request pace ({per_minute} per minute)")
            })?;
        Ok(Self(Arc::new(config)))
    }

    /// The layer that brakes the token route.
    pub fn layer(
        &self,
    ) -> tower_governor::GovernorLayer<PeerAddress, NoOpMiddleware, axum::body::Body> {
        tower_governor::GovernorLayer::new(self.0.clone()).error_handler(refusal)
    }

    /// Forgets addresses whose allowance is full again (their state says nothing any more).
    pub fn sweep(&self) {
        let limiter = self.0.limiter();
        limiter.retain_recent();
        limiter.shrink_to_fit();
    }
}

/// The brake's answer in the catalogue's words.
fn refusal(error: GovernorError) -> axum::response::Response {
    match error {
        // The wait is given in whole seconds, rounded down: one more, so a client that waits
        // as told is admitted.
        GovernorError::TooManyRequests { wait_time, .. } => AppError::TooFast {
            retry_after_secs: wait_time.saturating_add(1),
        }
        .into_response(),
        // Our key extractor never fails; anything else is a bug of ours.
        other => AppError::internal(anyhow::anyhow!("token pace: {other}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_and_ipv4_as_they_are() {
        let key = |s: &str| address_key(s.parse().expect("address"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("2001:db8:1:2:aaaa::1").to_string(), "2001:db8:1:2::");
        assert_eq!(key("203.0.113.5").to_string(), "203.0.113.5");
        assert_eq!(key("::ffff:203.0.113.5").to_string(), "203.0.113.5");
        assert_ne!(key("203.0.113.5"), key("203.0.113.6"));
    }
}
