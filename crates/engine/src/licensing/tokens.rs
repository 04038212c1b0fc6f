//! API tokens: each scoped to one licensee, shown once when created, stored only as its SHA-256 hash. A
//! token is 32 random bytes, so a plain hash (not a slow password hash) cannot be brute-forced, and a
//! look-up by hash stays fast enough to run on every request.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::store::TokenRecord;
use crate::store::{Store, StoreError};

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
}

const PREFIX: &str = "tnt_";

pub fn hash(token: &str) -> String {
    crate::hex(&Sha256::digest(token.trim().as_bytes()))
}

/// Creates a token for a licensee and returns it; only its hash is kept.
#[tracing::instrument(skip_all)]
pub async fn create(
    store: &dyn Store,
    licensee: &str,
    label: &str,
    entropy: &dyn ports::Entropy,
    now: DateTime<Utc>,
) -> Result<String, TokenError> {
    if store.licensee(licensee).await?.is_none() {
        return Err(TokenError::UnknownLicensee(licensee.into()));
    }
    let bytes: [u8; 32] = ports::random_bytes(entropy).map_err(|e| TokenError::Random(e.0))?;
    let token = format!("{PREFIX}{}", crate::hex(&bytes));
    store.add_token(&hash(&token), licensee, label, now).await?;
    Ok(token)
}

/// The licensee a presented token belongs to.
#[tracing::instrument(skip_all)]
pub async fn licensee_of(store: &dyn Store, token: &str) -> Result<Option<String>, StoreError> {
    if !token.starts_with(PREFIX) || token.len() != PREFIX.len() + 64 {
        return Ok(None);
    }
    store.token_licensee(&hash(token)).await
}

/// The licensee's tokens (by hash prefix, label and dates; never the tokens themselves).
#[tracing::instrument(skip_all)]
pub async fn list(store: &dyn Store, licensee: &str) -> Result<Vec<TokenRecord>, TokenError> {
    Ok(store.tokens(licensee).await?)
}

/// Revokes the licensee's tokens whose hash starts with `prefix`; returns how many.
#[tracing::instrument(skip_all)]
pub async fn revoke(store: &dyn Store, licensee: &str, prefix: &str, now: DateTime<Utc>) -> Result<u64, TokenError> {
    let prefix = prefix.trim().to_ascii_lowercase();
    if prefix.len() < 6 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(TokenError::PrefixTooShort);
    }
    Ok(store.revoke_tokens(licensee, &prefix, now).await?)
}
