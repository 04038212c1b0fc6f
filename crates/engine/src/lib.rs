//! Tantiem's use cases over a [`Store`]: importing CWR submissions (with acknowledgements), searching and
//! showing works and parties, recording AI consent and origin, and licensing: agreements, reports,
//! invoices, the journal, licences and the machine-readable offer. This is the API the CLI and the server call.
//!
//! Architecture invariant: the engine knows the store only through the [`Store`] trait, and never reads the
//! clock, randomness or the environment itself: `now`, an [`Entropy`] and the operator's name come in with
//! each call, so an import can be replayed byte for byte and a test can fix every token and key.

pub mod access;
pub mod books;
pub mod disclosure;
pub mod import;
pub mod licensing;
mod progress;
pub mod recordings;
pub mod registry;
pub mod store;

/// Lower-case hexadecimal of bytes (digests, ids, tokens).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub use access::{Actor, ActorKind, Denied, Scope, UseCase};
pub use import::{ImportCounts, ImportError, ImportOptions, ImportReport, TransactionOutcome, import_cwr};
pub use ports::{Entropy, FixedEntropy, OsEntropy};
pub use store::{Store, StoreError, StoreResult};
