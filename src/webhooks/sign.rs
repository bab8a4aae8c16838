//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>): a secret `whsec_` +
//! base64 of its key bytes; `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "{webhook-id}.{webhook-timestamp}.{body}">`. Receivers verify with any Standard Webhooks
//! library, or as [`verify`] does.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

fn key(secret: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .ok()
}

fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `webhook-signature` header of a message; `None` for a secret that is not base64.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = key(secret)?;
    let tag = mac(&key, id, timestamp, body).finalize().into_bytes();
    Some(format!("v1,{}", STANDARD.encode(tag)))
}

/// Whether any `v1` signature of a `webhook-signature` header (signatures are separated by
/// spaces) matches the message, compared in constant time.
pub fn verify(secret: &str, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let Some(key) = key(secret) else {
        return false;
    };
    header.split(' ').any(|signature| {
        let Some(tag) = signature
            .strip_prefix("v1,")
            .and_then(|t| STANDARD.decode(t).ok())
        else {
            return false;
        };
        mac(&key, id, timestamp, body).verify_slice(&tag).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_secret_and_nothing_else() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = br#"{"test": 2432232314}"#;
        let signature = sign(secret, id, 1614265330, body).expect("secret");
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(verify(secret, id, 1614265330, body, &signature));
        assert!(verify(
            secret,
            id,
            1614265330,
            body,
            &format!("v1,bm9wZQ== {signature}")
        ));
        assert!(!verify(secret, id, 1614265331, body, &signature));
        assert!(!verify(secret, "msg_other", 1614265330, body, &signature));
        assert!(!verify(secret, id, 1614265330, b"{}", &signature));
        assert!(!verify("whsec_b3RoZXI=", id, 1614265330, body, &signature));
        assert!(sign("whsec_not base64!", id, 1, body).is_none());
    }
}
