//! The terms of an agreement version beside its coverage: the tariff for each stage, the reporting duty,
//! the presumption window, the minimum guarantee, the advance and payment terms. Defaults are sourced in `docs/tariffs.md`
//! and an operator changes them per agreement.

use formats::report::ReportKind;
use money::Amount;
use rating::Tariff;
use serde::{Deserialize, Serialize};

/// How often reports are due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Monthly,
    Quarterly,
}

/// What the licensee must report, how often, and by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportingDuty {
    pub kinds: Vec<ReportKind>,
    pub frequency: Frequency,
    /// Days after the period's last day by which its reports are due.
    pub due_days: u32,
}

impl Default for ReportingDuty {
    /// Monthly service and output reports, due 30 days after the month ends (the usual DSR practice).
    fn default() -> Self {
        ReportingDuty {
            kinds: vec![ReportKind::Service, ReportKind::Output],
            frequency: Frequency::Monthly,
            due_days: 30,
        }
    }
}

/// How long the part of a training fee owed only by the presumption is held before it is distributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresumptionTerms {
    pub window_days: u32,
}

impl Default for PresumptionTerms {
    /// One year: long enough for a licensee to assemble and file a fully transparent disclosure.
    fn default() -> Self {
        PresumptionTerms { window_days: 365 }
    }
}

/// The money terms of one agreement version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementTerms {
    pub tariff: Tariff,
    pub reporting: ReportingDuty,
    pub presumption: PresumptionTerms,
    /// Guaranteed per reporting period; the invoice is topped up to it.
    pub minimum_guarantee: Option<Amount>,
    /// An advance on royalties, invoiced once (`tantiem invoice advance`) and recouped from the net
    /// charges of the periods that follow.
    #[serde(default)]
    pub advance: Option<Amount>,
    /// Days from issue to the invoice's due date.
    pub payment_days: u32,
}

impl AgreementTerms {
    pub fn new(tariff: Tariff) -> AgreementTerms {
        AgreementTerms {
            tariff,
            reporting: ReportingDuty::default(),
            presumption: PresumptionTerms::default(),
            minimum_guarantee: None,
            advance: None,
            payment_days: 30,
        }
    }
}
