//! Access tokens: HS256 JWTs signed by the gateway. The algorithm is pinned; `iss`, `aud` and
//! `exp` are checked, `exp` against the injected clock.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Timestamp;
use crate::config::JwtConfig;
use crate::domain::scopes::ScopeSet;
use crate::error::TokenProblem;

/// The claims of an access token (SPEC §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Application id.
    pub sub: Uuid,
    /// Tenant id.
    pub tid: Uuid,
    /// Space-separated granted scopes.
    pub scope: String,
    /// Allowed branches; `None` means every branch of the tenant.
    pub branches: Option<Vec<Uuid>>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
    /// The application's token generation at issue; a suspension or revocation since then
    /// ends the token, even after reactivation.
    #[serde(rename = "gen", default)]
    pub generation: i32,
}

/// What a token is issued for.
#[derive(Debug, Clone)]
pub struct Grant {
    pub application_id: Uuid,
    pub tenant_id: Uuid,
    pub scopes: ScopeSet,
    pub branches: Option<Vec<Uuid>>,
    pub generation: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: u64,
    pub scope: String,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_seconds: u64,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    pub fn new(config: &JwtConfig) -> Self {
        let secret = config.secret.expose().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked against the injected clock in `verify`.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            ttl_seconds: config.ttl.as_secs(),
        }
    }

    pub fn issue(&self, grant: &Grant, now: Timestamp) -> anyhow::Result<IssuedToken> {
        let iat = now.millis().div_euclid(1000);
        let ttl = i64::try_from(self.ttl_seconds)?;
        let claims = Claims {
            sub: grant.application_id,
            tid: grant.tenant_id,
            scope: grant.scopes.to_string(),
            branches: grant.branches.clone(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat,
            exp: iat + ttl,
            jti: Uuid::new_v4(),
            generation: grant.generation,
        };
        let access_token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(IssuedToken {
            access_token,
            expires_in: self.ttl_seconds,
            scope: claims.scope,
        })
    }

    /// Verifies signature, algorithm, issuer, audience and expiry.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<Claims, TokenProblem> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenProblem::Invalid)?;
        if data.header.alg != Algorithm::HS256 {
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
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use std::time::Duration;

    fn keys(secret: &str, audience: &str) -> JwtKeys {
        JwtKeys::new(&JwtConfig {
            secret: Secret::new(secret),
            issuer: "partner-gateway".into(),
            audience: audience.into(),
            ttl: Duration::from_secs(3600),
        })
    }

    fn grant() -> Grant {
        Grant {
            application_id: Uuid::new_v4(),
            tenant_id: Uuid::new_v4(),
            scopes: ScopeSet::all(),
            branches: None,
            generation: 0,
        }
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_millis(secs * 1000).expect("in range")
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let keys = keys(SECRET, "partner-api");
        let token = keys.issue(&grant(), at(1_000_000)).expect("signs");
        assert_eq!(token.expires_in, 3600);
        let claims = keys
            .verify(&token.access_token, at(1_000_000))
            .expect("valid");
        assert_eq!(claims.exp, 1_003_600);
        assert_eq!(
            keys.verify(&token.access_token, at(1_003_600)),
            Err(TokenProblem::Expired)
        );
    }

    #[test]
    fn refuses_other_secret_audience_and_alg_none() {
        let issuer = keys(SECRET, "partner-api");
        let token = issuer
            .issue(&grant(), at(1_000))
            .expect("signs")
            .access_token;
        let other_secret = keys("fedcba9876543210fedcba9876543210", "partner-api");
        assert_eq!(
            other_secret.verify(&token, at(1_000)),
            Err(TokenProblem::Invalid)
        );
        let other_audience = keys(SECRET, "someone-else");
        assert_eq!(
            other_audience.verify(&token, at(1_000)),
            Err(TokenProblem::Invalid)
        );

        // Same claims, header switched to `alg: none`, signature dropped.
        let payload = token.split('.').nth(1).expect("three parts");
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let unsigned = format!("{header}.{payload}.");
        assert_eq!(
            issuer.verify(&unsigned, at(1_000)),
            Err(TokenProblem::Invalid)
        );
        assert_eq!(
            issuer.verify("not-a-token", at(1_000)),
            Err(TokenProblem::Invalid)
        );
    }
}
