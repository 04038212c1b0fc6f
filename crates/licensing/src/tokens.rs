//! API tokens: each scoped to one licensee, shown once when created, stored only as its SHA-256 hash. A
//! token is 32 random bytes, so a plain hash (not a slow password hash) cannot be brute-forced, and a
//! look-up by hash stays fast enough to run on every request.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::store::{TokenHolder, TokenRecord};
use crate::store::LicensingStore;
use domain::ids::LicenseeId;
use ports::StoreError;
use ports::access::{Actor, Denied, Scope, UseCase};

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no licensee {0:?}: add it with `tantiem licensee add`")]
    UnknownLicensee(String),
    #[error("no party {0:?} in the registry: name a member's parties by IPI name number (`tantiem parties show`)")]
    UnknownParty(String),
    #[error("a member's token needs at least one party (--party)")]
    NoParty,
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

/// Creates a token for a member (for the parties named, which must be in the registry) or a sister society
/// and returns it; only its hash is kept.
#[tracing::instrument(skip_all)]
pub async fn create_for_holder(
    store: &dyn LicensingStore,
    actor: &Actor,
    holder: &TokenHolder,
    label: &str,
    entropy: &dyn ports::Entropy,
    now: DateTime<Utc>,
) -> Result<String, TokenError> {
    actor.may(UseCase::CreateToken, Scope::Society)?;
    // A member's parties are kept by key, whether named by IPI name number or by key.
    let holder = match holder {
        TokenHolder::Member { parties, .. } if parties.is_empty() => return Err(TokenError::NoParty),
        TokenHolder::Member { name, parties } => {
            let mut keys = Vec::with_capacity(parties.len());
            for party in parties {
                let detail = store.party(party).await?.ok_or_else(|| TokenError::UnknownParty(party.clone()))?;
                keys.push(detail.party.key.as_str().to_owned());
            }
            TokenHolder::Member { name: name.clone(), parties: keys }
        }
        society @ TokenHolder::Society { .. } => society.clone(),
    };
    let bytes: [u8; 32] = ports::random_bytes(entropy).map_err(|e| TokenError::Random(e.0))?;
    let token = format!("{PREFIX}{}", ports::hex(&bytes));
    store.add_holder_token(&hash(&token), &holder, label, now).await?;
    Ok(token)
}

/// Who a presented token lets act: its licensee, a member for their parties, or a sister society, through
/// the API (`None` for an unknown or revoked token).
#[tracing::instrument(skip_all)]
pub async fn authenticate(store: &dyn LicensingStore, token: &str) -> Result<Option<Actor>, StoreError> {
    if !token.starts_with(PREFIX) || token.len() != PREFIX.len() + 64 {
        return Ok(None);
    }
    let hashed = hash(token);
    if let Some(licensee) = store.token_licensee(&hashed).await? {
        let id = domain::ids::LicenseeId::parse(&licensee).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        return Ok(Some(Actor::licensee(id, "api")));
    }
    Ok(store.token_holder(&hashed).await?.map(|holder| match holder {
        TokenHolder::Member { name, parties } => {
            Actor::Member { name, parties: parties.into_iter().map(domain::PartyKey::new).collect() }
        }
        TokenHolder::Society { code, .. } => Actor::Society { society: code, user: "api".into() },
    }))
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
