//! Verifiable licence certificates. A society signs, with its Ed25519 key, a certificate per agreement
//! version (licensee, services, model versions, stages, territories, societies, validity); anyone holding
//! the society's published public keys can verify it offline. Keys have ids and rotate: a retired key
//! signs nothing new but stays published, so certificates it signed still verify.
//!
//! The signed bytes are the certificate's canonical JSON, carried verbatim as a string inside the envelope,
//! so the bytes verified are exactly the bytes signed: changing any of them fails verification.
//!
//! Architecture invariant: no randomness, clock or storage here. Key material comes in as bytes (the caller
//! draws it from the operating system and keeps the private key encrypted at rest); dates come in as
//! arguments. Whether an agreement is still in force is the online check's business, not the signature's.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

/// What a licence certificate states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// The issuing society's CISAC code and name.
    pub issuer: String,
    pub licensee: String,
    pub agreement: String,
    pub agreement_version: u32,
    pub services: Vec<String>,
    pub model_versions: Vec<String>,
    /// `training`, `service`, `output`.
    pub stages: Vec<String>,
    /// ISO 3166 country codes.
    pub territories: Vec<String>,
    /// The societies whose repertoire the licence covers (CISAC codes).
    pub societies: Vec<String>,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
}

/// A signed certificate as it travels: the canonical payload, the key id and the signature (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCertificate {
    pub payload: String,
    pub key_id: String,
    pub signature: String,
}

/// A public key as the society publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedKey {
    pub key_id: String,
    /// Hex of the 32-byte Ed25519 public key.
    pub public_key: String,
    /// Retired keys sign nothing new but still verify what they signed.
    pub retired: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LicenceError {
    #[error("the certificate is not valid JSON or lacks a field: {0}")]
    Malformed(String),
    #[error("key {0:?} is not among the society's published keys: fetch the current key list")]
    UnknownKey(String),
    #[error("the signature does not match the certificate: it was altered or not signed by this society")]
    BadSignature,
    #[error("key {0:?} is retired: it verifies old certificates but signs no new ones")]
    RetiredKey(String),
    #[error("a public key must be 64 hexadecimal characters")]
    BadKey,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// The society's keys: the signing key in force (if this party holds it) and every published public key.
#[derive(Debug, Clone)]
pub struct Keyring {
    published: BTreeMap<String, PublishedKey>,
    signing: Option<(String, SigningKey)>,
}

impl Keyring {
    /// A keyring that only verifies, from the published key list.
    pub fn verifying(keys: Vec<PublishedKey>) -> Keyring {
        Keyring { published: keys.into_iter().map(|k| (k.key_id.clone(), k)).collect(), signing: None }
    }

    /// A keyring that signs with `key_id` (whose secret the caller unsealed) and verifies with every
    /// published key.
    pub fn signing(keys: Vec<PublishedKey>, key_id: &str, secret: [u8; 32]) -> Keyring {
        let mut ring = Keyring::verifying(keys);
        ring.signing = Some((key_id.to_owned(), SigningKey::from_bytes(&secret)));
        ring
    }

    /// The hex public key of 32 secret bytes.
    pub fn public_key_of(secret: [u8; 32]) -> String {
        hex(SigningKey::from_bytes(&secret).verifying_key().as_bytes())
    }

    /// Adds a new signing key from 32 secret bytes (drawn by the caller from the OS) and retires the one
    /// in force. Returns the new key's published form.
    pub fn rotate(&mut self, key_id: &str, secret: [u8; 32]) -> PublishedKey {
        let key = SigningKey::from_bytes(&secret);
        if let Some((old, _)) = &self.signing
            && let Some(published) = self.published.get_mut(old)
        {
            published.retired = true;
        }
        let published =
            PublishedKey { key_id: key_id.to_owned(), public_key: hex(key.verifying_key().as_bytes()), retired: false };
        self.published.insert(key_id.to_owned(), published.clone());
        self.signing = Some((key_id.to_owned(), key));
        published
    }

    /// Every key anyone needs to verify this society's certificates.
    pub fn published(&self) -> Vec<PublishedKey> {
        self.published.values().cloned().collect()
    }

    /// Signs a certificate with the key in force.
    pub fn sign(&self, certificate: &Certificate) -> Result<SignedCertificate, LicenceError> {
        let (key_id, key) = self.signing.as_ref().ok_or_else(|| LicenceError::UnknownKey("(no signing key)".into()))?;
        if self.published.get(key_id).is_some_and(|k| k.retired) {
            return Err(LicenceError::RetiredKey(key_id.clone()));
        }
        let payload = serde_json::to_string(certificate).map_err(|e| LicenceError::Malformed(e.to_string()))?;
        let signature = key.sign(payload.as_bytes());
        Ok(SignedCertificate { payload, key_id: key_id.clone(), signature: hex(&signature.to_bytes()) })
    }

    /// Verifies a signed certificate and returns what it states.
    pub fn verify(&self, signed: &SignedCertificate) -> Result<Certificate, LicenceError> {
        let published =
            self.published.get(&signed.key_id).ok_or_else(|| LicenceError::UnknownKey(signed.key_id.clone()))?;
        let public: [u8; 32] = unhex(&published.public_key).ok_or(LicenceError::BadKey)?;
        let key = VerifyingKey::from_bytes(&public).map_err(|_| LicenceError::BadKey)?;
        let signature: [u8; 64] = unhex(&signed.signature).ok_or(LicenceError::BadSignature)?;
        key.verify(signed.payload.as_bytes(), &Signature::from_bytes(&signature))
            .map_err(|_| LicenceError::BadSignature)?;
        serde_json::from_str(&signed.payload).map_err(|e| LicenceError::Malformed(e.to_string()))
    }

    /// Verifies the text of a certificate file.
    pub fn verify_text(&self, text: &str) -> Result<Certificate, LicenceError> {
        let signed: SignedCertificate =
            serde_json::from_str(text).map_err(|e| LicenceError::Malformed(e.to_string()))?;
        self.verify(&signed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate() -> Certificate {
        Certificate {
            issuer: "079 STIM".into(),
            licensee: "Songfox AB".into(),
            agreement: "A-2026-001".into(),
            agreement_version: 2,
            services: vec!["songfox-app".into()],
            model_versions: vec!["sf-music-2.1".into()],
            stages: vec!["training".into(), "service".into(), "output".into()],
            territories: vec!["SE".into(), "NO".into()],
            societies: vec!["079".into()],
            valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            valid_until: None,
        }
    }

    fn keyring() -> Keyring {
        let mut keys = Keyring::verifying(vec![]);
        keys.rotate("stim-2026-1", [7u8; 32]);
        keys
    }

    #[test]
    fn a_signed_certificate_verifies_offline_from_the_published_keys() {
        let signed = keyring().sign(&certificate()).unwrap();
        let text = serde_json::to_string_pretty(&signed).unwrap();
        let public_only = Keyring::verifying(keyring().published());
        assert_eq!(public_only.verify_text(&text).unwrap(), certificate());
    }

    #[test]
    fn every_single_byte_change_of_the_payload_or_signature_fails() {
        let keys = keyring();
        let signed = keys.sign(&certificate()).unwrap();
        for i in 0..signed.payload.len() {
            let mut bytes = signed.payload.clone().into_bytes();
            bytes[i] ^= 0x01;
            let Ok(payload) = String::from_utf8(bytes) else { continue };
            let altered = SignedCertificate { payload, ..signed.clone() };
            assert!(keys.verify(&altered).is_err(), "byte {i} changed and still verified");
        }
        for i in 0..signed.signature.len() {
            let mut signature = signed.signature.clone().into_bytes();
            signature[i] = if signature[i] == b'0' { b'1' } else { b'0' };
            let altered = SignedCertificate { signature: String::from_utf8(signature).unwrap(), ..signed.clone() };
            assert_eq!(keys.verify(&altered), Err(LicenceError::BadSignature), "signature character {i}");
        }
    }

    #[test]
    fn a_rotated_out_key_still_verifies_and_signs_nothing_new() {
        let mut keys = keyring();
        let old = keys.sign(&certificate()).unwrap();
        keys.rotate("stim-2026-2", [9u8; 32]);
        let new = keys.sign(&certificate()).unwrap();
        assert_eq!(new.key_id, "stim-2026-2");
        let published = keys.published();
        assert!(published.iter().any(|k| k.key_id == "stim-2026-1" && k.retired));
        let verifier = Keyring::verifying(published);
        assert!(verifier.verify(&old).is_ok());
        assert!(verifier.verify(&new).is_ok());
        assert_eq!(Keyring::verifying(vec![]).verify(&old), Err(LicenceError::UnknownKey("stim-2026-1".into())));
        assert!(matches!(Keyring::verifying(vec![]).verify_text("{not json"), Err(LicenceError::Malformed(_))));
    }
}
