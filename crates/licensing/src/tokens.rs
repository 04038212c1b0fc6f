//! API tokens: each scoped to one licensee, shown once when created, stored only as its SHA-256 hash. A
//! token is 32 random bytes, so a plain hash (not a slow password hash) cannot be brute-forced, and a
//! look-up by hash stays fast enough to run on every request.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::store::TokenRecord;
use crate::store::LicensingStore;
use domain::ids::LicenseeId;
use ports::StoreError;
use ports::access::{Actor, Denied, Scope, UseCase};

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no licensee {0:?}: add it with `tantiem licensee add`")]
    UnknownLicensee(String),
    #[error("the operating system gave no random bytes: {0}")]
    Random(String),
    #[error("give at least 6 hex digits of the token's hash (as `tantiem licensee tokens` lists them)")]
    PrefixTooShort,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Denied(#[from] Denied),
}

const PREFIX: &str = "tnt_";

pub fn hash(token: &str) -> String {
    ports::hex(&Sha256::digest(token.trim().as_bytes()))
}

/// Creates a token for a licensee and returns it; only its hash is kept.
#[tracing::instrument(skip_all)]
pub async fn create(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: &LicenseeId,
    label: &str,
    entropy: &dyn ports::Entropy,
    now: DateTime<Utc>,
) -> Result<String, TokenError> {
    actor.may(UseCase::CreateToken, Scope::Licensee(licensee))?;
    if store.licensee(licensee).await?.is_none() {
        return Err(TokenError::UnknownLicensee(licensee.into()));
    }
    let bytes: [u8; 32] = ports::random_bytes(entropy).map_err(|e| TokenError::Random(e.0))?;
    let token = format!("{PREFIX}{}", ports::hex(&bytes));
    store.add_token(&hash(&token), licensee, label, now).await?;
    Ok(token)
}

/// Who a presented token lets act: its licensee, through the API (`None` for an unknown or revoked token).
#[tracing::instrument(skip_all)]
pub async fn authenticate(store: &dyn LicensingStore, token: &str) -> Result<Option<Actor>, StoreError> {
    if !token.starts_with(PREFIX) || token.len() != PREFIX.len() + 64 {
        return Ok(None);
    }
    let Some(licensee) = store.token_licensee(&hash(token)).await? else { return Ok(None) };
    let id = domain::ids::LicenseeId::parse(&licensee).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Some(Actor::licensee(id, "api")))
}

/// The licensee's tokens (by hash prefix, label and dates; never the tokens themselves).
#[tracing::instrument(skip_all)]
pub async fn list(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: &LicenseeId,
) -> Result<Vec<TokenRecord>, TokenError> {
    actor.may(UseCase::ListTokens, Scope::Licensee(licensee))?;
    Ok(store.tokens(licensee).await?)
}

/// Revokes the licensee's tokens whose hash starts with `prefix`; returns how many.
#[tracing::instrument(skip_all)]
pub async fn revoke(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: &LicenseeId,
    prefix: &str,
    now: DateTime<Utc>,
) -> Result<u64, TokenError> {
    actor.may(UseCase::RevokeToken, Scope::Licensee(licensee))?;
    let prefix = prefix.trim().to_ascii_lowercase();
    if prefix.len() < 6 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(TokenError::PrefixTooShort);
    }
    Ok(store.revoke_tokens(licensee, &prefix, now).await?)
}
