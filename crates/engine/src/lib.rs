//! Tantiem's use cases, area by area, as the edges (the CLI, the server, the coming web app) call them.
//!
//! The areas are crates of their own and depend one way: `repertoire` (CWR import, works, parties,
//! consent, recordings) and `books` (the journal's verification) at the bottom, `licensing` (licensees,
//! agreements, reports, invoices, payments, the presumption part, licences, the offer) on both, and
//! `disclosures` (intake, matching, assessment) on all three, and `distribution` (runs, statements, the
//! reserve, claims, the transparency report) on top. Each declares its own store port, each port
//! building on those below it, and every use case takes the narrowest it needs. This crate puts them
//! together under the paths the edges use and names the whole store a backend implements ([`Store`]).
//!
//! Architecture invariant: no use case lives here; the areas never read the clock, randomness or the
//! environment (`now`, an [`Entropy`] and the [`Actor`] come in with each call), and every use case checks
//! its actor once, in `access`.

pub use books;
pub use disclosures as disclosure;
pub use distribution;
pub use licensing;
pub use ports::access;
pub use ports::{Actor, ActorKind, Denied, Entropy, FixedEntropy, OsEntropy, Scope, UseCase};
pub use repertoire::{recordings, registry};

pub use import::import_cwr;
pub use repertoire::import::{ImportCounts, ImportError, ImportOptions, ImportReport, TransactionOutcome};
pub use store::{Store, StoreError, StoreResult};

/// The whole store: every area's port. The backends implement each port and then this.
pub mod store {
    pub use ports::{StoreError, StoreResult, stored_id};
    pub use repertoire::store::*;

    /// Everything a backend stores, for the edges that open one store and hand it to every area (each area
    /// takes the part it needs: a `&dyn Store` is a `&dyn LicensingStore`, and so on down).
    pub trait Store: distribution::DistributionStore {}

    impl<T: distribution::DistributionStore> Store for T {}
}

/// CWR import (see [`repertoire::import`]), taking the whole store the edges hold.
pub mod import {
    use std::io::BufRead;
    use std::sync::Arc;

    pub use repertoire::import::*;

    use crate::Store;

    /// Imports one CWR file into the store (see [`repertoire::import::import_cwr`]).
    pub async fn import_cwr<R: BufRead>(
        shared: &Arc<dyn Store>,
        actor: &crate::Actor,
        input: R,
        file_name: &str,
        options: ImportOptions,
        ack: AckSink<'_>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ImportReport, ImportError> {
        let repertoire: Arc<dyn repertoire::RepertoireStore> = shared.clone();
        repertoire::import_cwr(&repertoire, actor, input, file_name, options, ack, progress).await
    }
}
