//! Operator tokens: short-lived JWTs with the `admin` role, for the endpoints that manage the
//! Push Integration API's keys (`/api/v1/api-keys`). `partner-gateway admin-token` mints one
//! with the server's secret. They are signed with a key derived from that secret for this
//! purpose alone and carry their own audience, so a partner access token is never an
//! operator token nor the other way round.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::clock::Timestamp;
use crate::config::JwtConfig;
use crate::error::TokenProblem;

const AUDIENCE: &str = "partner-gateway-operator";
/// The role an operator token carries.
pub const ADMIN_ROLE: &str = "admin";
/// The longest an operator token may live.
pub const MAX_TTL_SECONDS: u64 = 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorClaims {
    /// Who asked for it (free text, e.g. the operator's name); logged with its uses.
    pub sub: String,
    pub role: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
}

#[derive(Clone)]
pub struct OperatorKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
}

impl std::fmt::Debug for OperatorKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OperatorKeys")
    }
}

impl OperatorKeys {
    pub fn new(config: &JwtConfig) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"partner-gateway operator token key v1\0");
        hasher.update(config.secret.expose().as_bytes());
        let key = hasher.finalize();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Self {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            validation,
            issuer: config.issuer.clone(),
        }
    }

    /// A token for `subject`, valid `ttl_seconds` (at most a day) from `now`.
    pub fn issue(&self, subject: &str, ttl_seconds: u64, now: Timestamp) -> anyhow::Result<String> {
        anyhow::ensure!(
            (1..=MAX_TTL_SECONDS).contains(&ttl_seconds),
            "an operator token lives 1 to {MAX_TTL_SECONDS} seconds"
        );
        let iat = now.millis().div_euclid(1000);
        let claims = OperatorClaims {
            sub: subject.to_owned(),
            role: ADMIN_ROLE.to_owned(),
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_owned(),
            iat,
            exp: iat + i64::try_from(ttl_seconds)?,
            jti: Uuid::new_v4(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Verifies signature, algorithm, issuer, audience, expiry and the admin role.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<OperatorClaims, TokenProblem> {
        let data = jsonwebtoken::decode::<OperatorClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenProblem::Invalid)?;
        if data.header.alg != Algorithm::HS256 || data.claims.role != ADMIN_ROLE {
            return Err(TokenProblem::Invalid);
        }
        if now.millis().div_euclid(1000) >= data.claims.exp {
            return Err(TokenProblem::Expired);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn config(secret: &str) -> JwtConfig {
        JwtConfig {
            secret: Secret::new(secret.to_owned()),
            issuer: "partner-gateway".into(),
            audience: "partner-api".into(),
            ttl: std::time::Duration::from_secs(3600),
        }
    }

    fn now() -> Timestamp {
        Timestamp::from_millis(1_781_493_736_709).expect("in range")
    }

    #[test]
    fn operator_tokens_verify_expire_and_are_not_partner_tokens() {
        let keys = OperatorKeys::new(&config("a-secret-of-at-least-32-characters!!"));
        let token = keys.issue("ops@example.com", 600, now()).expect("token");
        let claims = keys.verify(&token, now()).expect("valid");
        assert_eq!(claims.role, ADMIN_ROLE);
        assert_eq!(claims.sub, "ops@example.com");
        let later = Timestamp::from_millis(now().millis() + 600_000).expect("in range");
        assert_eq!(keys.verify(&token, later), Err(TokenProblem::Expired));
        // Another secret, or a partner access token signed with the same secret: refused.
        let other = OperatorKeys::new(&config("another-secret-of-at-least-32-chars!!"));
        assert_eq!(other.verify(&token, now()), Err(TokenProblem::Invalid));
        let partner =
            crate::auth::jwt::JwtKeys::new(&config("a-secret-of-at-least-32-characters!!"));
        let access = partner
            .issue(
                &crate::auth::jwt::Grant {
                    application_id: Uuid::nil(),
                    tenant_id: Uuid::nil(),
                    scopes: crate::domain::scopes::ScopeSet::default(),
                    branches: None,
                    generation: 0,
                },
                now(),
            )
            .expect("access token");
        assert_eq!(
            keys.verify(&access.access_token, now()),
            Err(TokenProblem::Invalid)
        );
        assert!(keys.issue("x", 0, now()).is_err());
        assert!(keys.issue("x", MAX_TTL_SECONDS + 1, now()).is_err());
    }
}
