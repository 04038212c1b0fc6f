//! Licensing the three stages: licensees with their services and model versions, one blanket agreement
//! per licensee with versioned terms, reports in (archived as received, validated, flagged), invoices with
//! their journal postings, payments and credit notes, the presumption part held and settled, verifiable
//! licences, and the society's machine-readable offer.
//!
//! Architecture invariant: like the rest of the engine, nothing here reads the clock or the environment;
//! the passphrase that unseals the signing key comes in as an argument and is never stored.

pub mod archive;
pub mod export;
pub mod invoicing;
pub mod licences;
pub mod licensees;
pub mod offer;
mod pricing;
pub mod reports;
pub mod settlement;
pub mod store;
pub mod terms;
pub mod tokens;
pub mod vat;

pub use archive::Archive;
pub use store::LicensingStore;
pub use terms::AgreementTerms;
