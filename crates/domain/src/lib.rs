//! Tantiem's domain vocabulary: identifiers with check digits, CISAC territories and societies, parties and
//! mandates, works with their ownership and collection shares, recordings, origin, AI consent per stage, and
//! the transparency criteria a training disclosure is assessed by.
//!
//! Architecture invariant: this crate is pure. It does no I/O (its reference tables are compiled in), reads
//! no clock and no environment, and knows no file format or database. Values are built by `parse`
//! functions, so an invalid identifier or share cannot exist past the boundary.

pub mod consent;
pub mod disclosure;
pub mod identifiers;
pub mod ids;
pub mod licensing;
pub mod origin;
pub mod party;
pub mod period;
pub mod recording;
pub mod society;
pub mod territory;
pub mod work;

pub use consent::{Consent, ConsentChoice, ConsentSource, LicensedShare, Stage, StageDefaults};
pub use identifiers::{Ean, IdentifierError, IpiBaseNumber, IpiNameNumber, Isni, Isrc, Iswc};
pub use ids::{
    AgreementId, DisclosureId, IdError, InvoiceNumber, LicenseeId, ModelVersionId, ReportId, ServiceId, WorkCode,
};
pub use origin::Origin;
pub use party::{Affiliation, Mandate, Party, PartyKey, PartyKind};
pub use period::Period;
pub use recording::{RecordingContributor, Release, SoundRecording, Sourced};
pub use society::{SocietyCode, SocietyInfo, SocietyRules};
pub use territory::{Territories, Territory, TisCode, WORLD};
pub use work::{
    AlternateTitle, Interest, RecordingInfo, RightShares, RightSocieties, RightType, Role, ShareProblem,
    TerritoryShare, Work,
};
