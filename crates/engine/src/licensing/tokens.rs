//! API tokens: each scoped to one licensee, shown once when created, stored only as its SHA-256 hash. A
//! token is 32 random bytes, so a plain hash (not a slow password hash) cannot be brute-forced, and a
//! look-up by hash stays fast enough to run on every request.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::licences::KeyError;
use crate::store::{Store, StoreError};

const PREFIX: &str = "tnt_";

pub fn hash(token: &str) -> String {
    Sha256::digest(token.trim().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a token for a licensee and returns it; only its hash is kept.
pub async fn create(store: &dyn Store, licensee: &str, label: &str, now: DateTime<Utc>) -> Result<String, KeyError> {
    if store.licensee(licensee).await?.is_none() {
        return Err(KeyError::NoAgreement(licensee.into()));
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| KeyError::Random(e.to_string()))?;
    let token = format!("{PREFIX}{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
    store.add_token(&hash(&token), licensee, label, now).await?;
    Ok(token)
}

/// The licensee a presented token belongs to.
pub async fn licensee_of(store: &dyn Store, token: &str) -> Result<Option<String>, StoreError> {
    if !token.starts_with(PREFIX) || token.len() != PREFIX.len() + 64 {
        return Ok(None);
    }
    store.token_licensee(&hash(token)).await
}
