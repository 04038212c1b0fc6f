//! The repertoire area: CWR submissions imported with their acknowledgements (`import`), works and
//! parties looked up, AI consent, mandates and origin recorded (`registry`), and recordings from DDEX ERN
//! messages, CWR REC records and audio fingerprints (`recordings`), over the area's store port
//! ([`RepertoireStore`]).
//!
//! Architecture invariant: the lowest area. It knows no licensing, disclosure or money; it reads no clock,
//! randomness or environment (`now` and the actor come in with each call).

pub mod import;
pub mod recordings;
pub mod registry;
pub mod store;

pub use import::{ImportCounts, ImportError, ImportOptions, ImportReport, TransactionOutcome, import_cwr};
pub use recordings::RecordingStore;
pub use store::RepertoireStore;
