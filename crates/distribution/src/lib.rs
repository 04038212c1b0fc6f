//! Distribution: the money reaches every rightsholder. A run takes what licensees paid for a period (never
//! what was merely invoiced) and the presumption parts released, forms pools per stage, licensee, model
//! version or service, territory and period, takes the society's deductions, splits each pool by the key
//! the society's rules choose for it down to every holder's share of every work, keeps what has no known
//! owner in the reserve with its legal clocks, and pays members (above the minimum payout) and sister
//! societies, all on one journal entry that proves money in equals money out. Statements, the annual
//! transparency report and the dilution index are read from what runs posted.
//!
//! The allocation itself (`pools`, `keys`, `split`, `allocation`, `catalogue`) is pure: no store, no
//! clock. `run` and `views` are the use cases, over the area's port (`store`).
//!
//! Architecture invariant: like every area, nothing here reads the clock, randomness or the environment;
//! money is integer micro-units divided by largest remainder, so every micro-unit lands on a named line.
#![deny(clippy::float_arithmetic)]

pub mod allocation;
pub mod catalogue;
pub mod export;
pub mod keys;
pub mod pools;
pub mod report;
pub mod reserve;
pub mod rules;
pub mod run;
pub mod split;
pub mod store;
pub mod views;

pub use rules::DistributionRules;
pub use store::DistributionStore;

use ports::{Denied, StoreError};

/// Why a distribution use case could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum DistributionError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Books(#[from] books::BooksError),
    #[error(transparent)]
    Invoice(#[from] licensing::invoicing::InvoiceError),
    #[error("the distribution rules cannot be applied: {0}")]
    Rules(String),
    #[error("money: {0}")]
    Money(String),
    /// A bug: the run's postings would not balance.
    #[error("the run does not balance ({0}); nothing was posted")]
    Unbalanced(String),
    #[error("no distribution run {0}: `tantiem distribution list` shows the runs")]
    UnknownRun(u64),
    #[error("no claim {0}: `tantiem claim list` shows the claims")]
    UnknownClaim(u64),
    #[error("claim {0} was already decided ({1})")]
    AlreadyDecided(u64, String),
    #[error("{0}")]
    BadClaim(String),
    /// What took the results (a statement written to a file) failed: its message.
    #[error("{0}")]
    Output(String),
}
