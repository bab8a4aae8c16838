//! Client credentials: generation, hashing at rest, constant-time verification.
//!
//! Client secrets are 256-bit random values, so a single SHA-256 is a sound at-rest hash (no
//! dictionary to attack) and keeps `/oauth/token` cheap. Verification is constant-time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const HASH_PREFIX: &str = "sha256$";

fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
    Ok(bytes)
}

/// A new public client id, e.g. `pgc_3q2x…` (16 random bytes).
pub fn generate_client_id() -> anyhow::Result<String> {
    Ok(format!(
        "pgc_{}",
        URL_SAFE_NO_PAD.encode(random_bytes::<16>()?)
    ))
}

/// A new client secret, e.g. `pgs_…` (32 random bytes). Shown once, stored hashed.
pub fn generate_client_secret() -> anyhow::Result<String> {
    Ok(format!(
        "pgs_{}",
        URL_SAFE_NO_PAD.encode(random_bytes::<32>()?)
    ))
}

/// A new webhook signing secret, Standard Webhooks style: `whsec_` and the base64 of 32 random
/// bytes. Shown once; kept in clear (signing needs it).
pub fn generate_webhook_secret() -> anyhow::Result<String> {
    Ok(format!(
        "{}{}",
        crate::webhooks::sign::SECRET_PREFIX,
        base64::engine::general_purpose::STANDARD.encode(random_bytes::<32>()?)
    ))
}

/// A new key of the Push Integration API, `wms_` and 43 URL-safe characters (32 random bytes).
/// Shown once, stored hashed.
pub fn generate_api_key() -> anyhow::Result<String> {
    Ok(format!(
        "wms_{}",
        URL_SAFE_NO_PAD.encode(random_bytes::<32>()?)
    ))
}

pub fn hash_secret(secret: &str) -> String {
    format!(
        "{HASH_PREFIX}{}",
        hex::encode(Sha256::digest(secret.as_bytes()))
    )
}

/// Whether `secret` matches the stored hash, in time independent of where they differ.
pub fn verify_secret(secret: &str, stored_hash: &str) -> bool {
    let candidate = hash_secret(secret);
    candidate.len() == stored_hash.len()
        && bool::from(candidate.as_bytes().ct_eq(stored_hash.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_credentials_are_unique_and_verify() {
        let a = generate_client_secret().expect("randomness");
        let b = generate_client_secret().expect("randomness");
        assert_ne!(a, b);
        let stored = hash_secret(&a);
        assert!(!stored.contains(&a));
        assert!(verify_secret(&a, &stored));
        assert!(!verify_secret(&b, &stored));
        assert!(!verify_secret("", &stored));
    }
}
