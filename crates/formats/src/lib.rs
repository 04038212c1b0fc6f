//! Readers and writers of the music industry's own file formats: CISAC CWR (Common Works Registration)
//! 2.1, 2.2 and 3.0/3.1 in, CWR acknowledgements (ACK) out, and licensees' usage reports (Tantiem's service
//! and output reports in JSON and CSV, and DDEX DSR flat files), DDEX ERN release messages, and training
//! disclosures (Tantiem's training manifest in CSV, JSON Lines and Parquet, the AI Act public summary in
//! JSON, MLCommons Croissant metadata, Chromaprint fingerprints as text).
//!
//! Every reader is tolerant of what real files do and reports each deviation as a [`Diagnostic`] with the
//! line, record, field and CWR rejection level, so nothing is silently guessed and nothing is silently lost.
//!
//! Architecture invariant: formats turn bytes into domain values and back. They know nothing of the store,
//! of which works a society already has, or of the clock: decisions that need those (is this REV of a
//! known work? a duplicate?) belong to the engine, which hands its verdicts back to the ACK writer.

pub mod cwr;
mod diagnostic;
pub mod disclosure;
pub mod ern;
mod reading;
pub mod report;

pub use diagnostic::{Diagnostic, Level};
pub use reading::{MAX_DIAGNOSTICS, ReadOutcome};
