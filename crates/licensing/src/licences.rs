//! Verifiable licences: the society's signing keys (the private half sealed with the operator's passphrase
//! by Argon2id and ChaCha20-Poly1305, never stored in plaintext), key rotation, issuing a certificate per
//! agreement version, and the online check that adds what a signature cannot say: whether the agreement is
//! still in force today.

use argon2::Argon2;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use chrono::{DateTime, NaiveDate, Utc};
use domain::licensing::AgreementStatus;
use licence::{Certificate, Keyring, LicenceError, PublishedKey, SignedCertificate};
use ports::Entropy;
use ports::hex;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::store::{StoredKey, StoredLicence};
use crate::store::LicensingStore;
use domain::ids::LicenseeId;
use ports::StoreError;
use ports::access::{Actor, Denied, Scope, UseCase};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("the signing key cannot be unsealed: wrong passphrase (TANTIEM_KEY_PASSPHRASE) or damaged key")]
    WrongPassphrase,
    #[error(
        "the passphrase does not open the key in force ({0}): nothing was changed. Give that key's passphrase in TANTIEM_KEY_PASSPHRASE"
    )]
    RotationPassphrase(String),
    #[error(
        "the signing key in force ({0}) is the demo's, sealed with a passphrase anyone can read: it signs no licence. Create the society's own with `tantiem licence rotate-key` (TANTIEM_KEY_PASSPHRASE set to a passphrase of your own)"
    )]
    DemoKey(String),
    #[error("the passphrase must be at least 12 characters")]
    WeakPassphrase,
    #[error("there is no signing key: create one with `tantiem licence rotate-key`")]
    NoKey,
    #[error("the operating system gave no random bytes: {0}")]
    Random(String),
    #[error("no agreement for licensee {0:?}")]
    NoAgreement(String),
    #[error("agreement {0} has no active version in force today: no certificate can be issued")]
    NotInForce(String),
    #[error(transparent)]
    Licence(#[from] LicenceError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn random<const N: usize>(entropy: &dyn Entropy) -> Result<[u8; N], KeyError> {
    ports::random_bytes(entropy).map_err(|e| KeyError::Random(e.0))
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

fn derive(passphrase: &str, salt: &[u8]) -> Result<[u8; 32], KeyError> {
    let mut key = [0u8; 32];
    Argon2::default()
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|_| KeyError::WrongPassphrase)?;
    Ok(key)
}

/// Seals a secret: `argon2id:<salt>:<nonce>:<ciphertext>` in hex.
pub fn seal(secret: &[u8; 32], passphrase: &str, entropy: &dyn Entropy) -> Result<String, KeyError> {
    if passphrase.chars().count() < 12 {
        return Err(KeyError::WeakPassphrase);
    }
    let salt: [u8; 16] = random(entropy)?;
    let nonce: [u8; 12] = random(entropy)?;
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&derive(passphrase, &salt)?));
    let sealed = cipher.encrypt(Nonce::from_slice(&nonce), secret.as_slice()).map_err(|_| KeyError::WrongPassphrase)?;
    Ok(format!("argon2id:{}:{}:{}", hex(&salt), hex(&nonce), hex(&sealed)))
}

/// Opens a sealed secret.
pub fn unseal(sealed: &str, passphrase: &str) -> Result<[u8; 32], KeyError> {
    let parts: Vec<&str> = sealed.split(':').collect();
    let [scheme, salt, nonce, body] = parts.as_slice() else { return Err(KeyError::WrongPassphrase) };
    let (Some(salt), Some(nonce), Some(body)) = (unhex(salt), unhex(nonce), unhex(body)) else {
        return Err(KeyError::WrongPassphrase);
    };
    if *scheme != "argon2id" || nonce.len() != 12 {
        return Err(KeyError::WrongPassphrase);
    }
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&derive(passphrase, &salt)?));
    let plain = cipher.decrypt(Nonce::from_slice(&nonce), body.as_slice()).map_err(|_| KeyError::WrongPassphrase)?;
    plain.try_into().map_err(|_| KeyError::WrongPassphrase)
}

/// Creates a new signing key, sealed, and retires the one in force. The passphrase must open the key in
/// force first: a mistyped one would otherwise retire the working key and seal its successor under the typo.
#[tracing::instrument(skip_all)]
pub async fn rotate_key(
    store: &dyn LicensingStore,
    actor: &Actor,
    passphrase: &str,
    entropy: &dyn Entropy,
    now: DateTime<Utc>,
) -> Result<StoredKey, KeyError> {
    actor.may(UseCase::RotateKey, Scope::Society)?;
    // The demo's key is sealed with a published passphrase: it proves nothing, so any passphrase may
    // replace it.
    if let Some(current) = store.signing_keys().await?.into_iter().find(|k| k.retired_at.is_none())
        && !is_demo_key(&current)
    {
        unseal(&current.sealed_secret, passphrase).map_err(|_| KeyError::RotationPassphrase(current.key_id))?;
    }
    let secret: [u8; 32] = random(entropy)?;
    let suffix: [u8; 3] = random(entropy)?;
    let demo = if passphrase == DEMO_PASSPHRASE { DEMO_KEY_PREFIX } else { "" };
    let key = StoredKey {
        key_id: format!("{demo}{}-{}", now.format("%Y%m%d"), hex(&suffix)),
        public_key: Keyring::public_key_of(secret),
        sealed_secret: seal(&secret, passphrase, entropy)?,
        created_at: now,
        retired_at: None,
    };
    store.rotate_key(&key).await?;
    Ok(key)
}

/// Every public key, current and retired, as the society publishes them.
#[tracing::instrument(skip_all)]
pub async fn published_keys(store: &dyn LicensingStore, actor: &Actor) -> Result<Vec<PublishedKey>, KeyError> {
    actor.may(UseCase::PublishedKeys, Scope::Society)?;
    Ok(store
        .signing_keys()
        .await?
        .into_iter()
        .map(|k| PublishedKey { key_id: k.key_id, public_key: k.public_key, retired: k.retired_at.is_some() })
        .collect())
}

/// Issues the certificate of the licensee's current agreement version, signed with the key in force.
#[tracing::instrument(skip_all)]
pub async fn issue_licence(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: &LicenseeId,
    passphrase: &str,
    now: DateTime<Utc>,
) -> Result<StoredLicence, KeyError> {
    issue(store, actor, licensee, passphrase, now, false).await
}

/// [`issue_licence`] for the demo, which signs with its own key sealed under [`DEMO_PASSPHRASE`]: the one
/// way a demo key signs anything.
#[tracing::instrument(skip_all)]
pub async fn issue_demo_licence(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: &LicenseeId,
    passphrase: &str,
    now: DateTime<Utc>,
) -> Result<StoredLicence, KeyError> {
    issue(store, actor, licensee, passphrase, now, true).await
}

/// The passphrase the demo seals its signing key with when none is given. It is published (here), so a key
/// sealed with it is marked as the demo's and signs no licence outside the demo.
pub const DEMO_PASSPHRASE: &str = "tantiem demo passphrase: not for production";

/// Whether a key is the demo's (sealed with the published [`DEMO_PASSPHRASE`]).
pub fn is_demo_key(key: &StoredKey) -> bool {
    key.key_id.starts_with(DEMO_KEY_PREFIX)
}

const DEMO_KEY_PREFIX: &str = "demo-";

async fn issue(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: &LicenseeId,
    passphrase: &str,
    now: DateTime<Utc>,
    demo: bool,
) -> Result<StoredLicence, KeyError> {
    actor.may(UseCase::IssueLicence, Scope::Society)?;
    let keys = store.signing_keys().await?;
    let current = keys.iter().find(|k| k.retired_at.is_none()).ok_or(KeyError::NoKey)?;
    if is_demo_key(current) && !demo {
        return Err(KeyError::DemoKey(current.key_id.clone()));
    }
    let secret = unseal(&current.sealed_secret, passphrase)?;
    let ring = Keyring::signing(published_keys(store, actor).await?, &current.key_id, secret);
    let agreement = store.agreement_of(licensee).await?.ok_or_else(|| KeyError::NoAgreement(licensee.into()))?;
    // A certificate states the version in force today, and only an active one: a draft, a suspended or an
    // ended agreement gets none.
    let today = now.date_naive();
    let record = agreement
        .record_on(today)
        .filter(|r| r.coverage.status == AgreementStatus::Active && r.coverage.term_until.is_none_or(|u| u >= today))
        .ok_or_else(|| KeyError::NotInForce(agreement.id.clone()))?;
    let society = store.society().await?.ok_or(StoreError::NotInitialised)?;
    let name = store.licensee(licensee).await?.map_or_else(|| licensee.to_string(), |l| l.name);
    let v = &record.coverage;
    let certificate = Certificate {
        issuer: format!("{} {}", society.code, society.name),
        licensee: name,
        agreement: agreement.id.clone(),
        agreement_version: v.version,
        services: v.services.clone(),
        model_versions: v.model_versions.clone(),
        stages: v.stages.iter().map(|s| s.as_str().to_owned()).collect(),
        territories: v.territories.clone(),
        societies: v.societies.iter().map(ToString::to_string).collect(),
        valid_from: v.effective_from,
        valid_until: v.term_until,
    };
    let signed = ring.sign(&certificate)?;
    let digest = Sha256::digest(signed.signature.as_bytes());
    let licence = StoredLicence {
        id: format!("L-{}", hex(&digest[..8])),
        licensee: licensee.to_string(),
        agreement: agreement.id.clone(),
        agreement_version: v.version,
        signed,
        issued_at: now,
    };
    // Ed25519 signatures are deterministic: the same certificate under the same key is the same licence.
    if let Some(existing) = store.licence(&licence.id).await? {
        return Ok(existing);
    }
    store.put_licence(&licence).await?;
    Ok(licence)
}

/// What verification says about a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The signature matches one of the society's published keys.
    pub signature_valid: bool,
    pub key_id: String,
    pub certificate: Option<Certificate>,
    /// `valid`, `suspended`, `ended`, `superseded`, `not-yet-valid`, `unknown-agreement` (online), or
    /// `offline` when only the signature was checked; `invalid` when it fails.
    pub status: String,
    pub detail: String,
}

/// Verifies a certificate's signature against published keys (offline).
pub fn verify_offline(keys: Vec<PublishedKey>, text: &str) -> Verdict {
    let ring = Keyring::verifying(keys);
    let key_id = serde_json::from_str::<SignedCertificate>(text).map(|s| s.key_id).unwrap_or_default();
    match ring.verify_text(text) {
        Ok(certificate) => Verdict {
            signature_valid: true,
            key_id,
            detail: format!("signed by {} for {}", certificate.issuer, certificate.licensee),
            certificate: Some(certificate),
            status: "offline".into(),
        },
        Err(e) => Verdict {
            signature_valid: false,
            key_id,
            certificate: None,
            status: "invalid".into(),
            detail: e.to_string(),
        },
    }
}

/// The licences issued to a licensee, newest last.
#[tracing::instrument(skip_all)]
pub async fn licences(
    store: &dyn LicensingStore,
    actor: &Actor,
    licensee: &LicenseeId,
) -> Result<Vec<StoredLicence>, KeyError> {
    actor.may(UseCase::ListLicences, Scope::Licensee(licensee))?;
    Ok(store.licences(licensee).await?)
}

/// An issued licence by id, with what an online check says of it today (anyone may ask: a certificate is
/// shown to be checked).
#[tracing::instrument(skip_all)]
pub async fn licence_status(
    store: &dyn LicensingStore,
    actor: &Actor,
    id: &str,
    today: NaiveDate,
) -> Result<Option<(StoredLicence, Verdict)>, KeyError> {
    actor.may(UseCase::VerifyLicence, Scope::Society)?;
    let Some(licence) = store.licence(id).await? else { return Ok(None) };
    let text = serde_json::to_string(&licence.signed).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let verdict = verify_online(store, actor, &text, today).await?;
    Ok(Some((licence, verdict)))
}

/// Verifies a certificate and checks the agreement it names as it stands on `today`.
#[tracing::instrument(skip_all)]
pub async fn verify_online(
    store: &dyn LicensingStore,
    actor: &Actor,
    text: &str,
    today: NaiveDate,
) -> Result<Verdict, KeyError> {
    actor.may(UseCase::VerifyLicence, Scope::Society)?;
    let mut verdict = verify_offline(published_keys(store, actor).await?, text);
    let Some(certificate) = verdict.certificate.clone() else { return Ok(verdict) };
    let Some(agreement) = store.agreement(&certificate.agreement).await? else {
        verdict.status = "unknown-agreement".into();
        verdict.detail = format!("agreement {} is not known to this society", certificate.agreement);
        return Ok(verdict);
    };
    let (status, detail) = standing(&agreement, &certificate, today);
    verdict.status = status.into();
    verdict.detail = detail;
    Ok(verdict)
}

/// Where the agreement behind a certificate stands on `today`.
pub fn standing(
    agreement: &super::store::StoredAgreement,
    certificate: &Certificate,
    today: NaiveDate,
) -> (&'static str, String) {
    if today < certificate.valid_from {
        return ("not-yet-valid", format!("valid from {}", certificate.valid_from));
    }
    let Some(current) = agreement.record_on(today) else {
        return ("not-yet-valid", "no agreement version in force".into());
    };
    let v = &current.coverage;
    match v.status {
        AgreementStatus::Suspended => return ("suspended", format!("agreement {} is suspended", agreement.id)),
        AgreementStatus::Ended => return ("ended", format!("agreement {} has ended", agreement.id)),
        AgreementStatus::Draft => return ("not-yet-valid", "the agreement version in force is a draft".into()),
        AgreementStatus::Active => {}
    }
    if let Some(until) = v.term_until.or(certificate.valid_until).filter(|u| today > *u) {
        return ("ended", format!("the term ended on {until}"));
    }
    if v.version != certificate.agreement_version {
        return ("superseded", format!("agreement version {} is in force; ask for its certificate", v.version));
    }
    ("valid", format!("{} is licensed under agreement {} version {}", certificate.licensee, agreement.id, v.version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_with_its_passphrase() {
        let secret = [42u8; 32];
        let sealed = seal(&secret, "correct horse battery", &ports::FixedEntropy::new(1)).unwrap();
        assert!(!sealed.contains(&hex(&secret)));
        assert_eq!(unseal(&sealed, "correct horse battery").unwrap(), secret);
        assert!(matches!(unseal(&sealed, "wrong horse battery"), Err(KeyError::WrongPassphrase)));
        assert!(matches!(seal(&secret, "short", &ports::FixedEntropy::new(1)), Err(KeyError::WeakPassphrase)));
        // Change the last hex digit (to another digit: a random '0' replaced by '0' would damage nothing).
        let mut damaged = sealed.clone();
        let last = damaged.pop();
        damaged.push(if last == Some('0') { '1' } else { '0' });
        assert!(unseal(&damaged, "correct horse battery").is_err());
    }
}
