//! The distribution area's store port, and the records it keeps: runs, their lines, claims and the rules.
//! Builds on the disclosures' port (and so on licensing, the repertoire and the books).

use async_trait::async_trait;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::{ConsentChoice, Origin, Period, Work};
use ledger::JournalEntry;
use licensing::store::OutputRow;
use money::Amount;
use serde::{Deserialize, Serialize};

pub use ports::{StoreError, StoreResult};

use crate::allocation::Line;
use crate::catalogue::Payee;
use crate::rules::DistributionRules;
use crate::split::ReserveReason;

/// A work as a run reads it from the store: its primary registration's document.
#[derive(Debug, Clone)]
pub struct DistributionWork {
    pub code: String,
    pub origin: Origin,
    /// A registration of it is held as a conflict.
    pub disputed: bool,
    pub work: Option<Work>,
}

/// What a run read, each part by its SHA-256, so a run can be replayed and told apart from another.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    /// Payments and settled presumption parts of the period's invoices.
    pub money: String,
    /// The works, their shares and origins, and who collects for each party.
    pub repertoire: String,
    pub consent: String,
    /// Output reports' lines and attribution, and the model versions' disclosures.
    pub usage: String,
    pub rules: String,
    pub claims: String,
    /// All of the above together.
    pub digest: String,
}

impl Inputs {
    /// What differs from an earlier run's inputs, in words a rightsholder reads on a statement (empty: the
    /// same inputs).
    pub fn changes_from(&self, earlier: &Inputs) -> Vec<&'static str> {
        [
            (&self.money, &earlier.money, "payments received"),
            (&self.repertoire, &earlier.repertoire, "works and shares"),
            (&self.consent, &earlier.consent, "AI consent"),
            (&self.usage, &earlier.usage, "reports, attribution or disclosures"),
            (&self.rules, &earlier.rules, "distribution rules"),
            (&self.claims, &earlier.claims, "claims decided"),
        ]
        .into_iter()
        .filter(|(now, before, _)| now != before)
        .map(|(_, _, what)| what)
        .collect()
    }
}

/// Why each adjusting run (a period's second run and later) was made: what changed in its inputs since the
/// period's run before it, by run id. A first run has no entry.
pub fn adjustment_reasons(runs: &[RunRecord]) -> BTreeMap<u64, String> {
    let mut last: BTreeMap<Period, &RunRecord> = BTreeMap::new();
    let mut reasons = BTreeMap::new();
    let mut ordered: Vec<&RunRecord> = runs.iter().collect();
    ordered.sort_by_key(|r| r.id);
    for run in ordered {
        if let Some(before) = last.insert(run.period, run) {
            let changes = run.inputs.changes_from(&before.inputs);
            let reason = if changes.is_empty() {
                "a correction".to_owned()
            } else {
                format!("changed since run {}: {}", before.id, changes.join(", "))
            };
            reasons.insert(run.id, reason);
        }
    }
    reasons
}

/// What a run moved, per currency, and the proof that it balances: money in equals what went to members
/// (paid and carried forward), to sister societies, to the deductions and to the reserve.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub currency: String,
    pub money_in: i64,
    pub management_fee: i64,
    pub cultural_fund: i64,
    pub reserve: i64,
    pub societies: i64,
    /// Released to members for payment (with what they had carried forward before).
    pub members_paid: i64,
    /// Members' money under the minimum payout, added to (or, when released, taken from) what is carried.
    pub carried_forward: i64,
}

impl Totals {
    /// Whether every micro-unit in went somewhere named.
    pub fn balances(&self) -> bool {
        i128::from(self.money_in)
            == i128::from(self.management_fee)
                + i128::from(self.cultural_fund)
                + i128::from(self.reserve)
                + i128::from(self.societies)
                + i128::from(self.members_paid)
                + i128::from(self.carried_forward)
    }
}

/// A distribution run as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Numbered across periods, in the order runs were posted.
    pub id: u64,
    pub period: Period,
    /// 1 for the period's first run; each later one adjusts it.
    pub number: u32,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub inputs: Inputs,
    pub totals: Vec<Totals>,
    pub lines: u64,
    pub journal_entry: Option<u64>,
}

/// A line of a run: what it posted and what earlier runs had posted on the same line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLine {
    pub run: u64,
    pub line: Line,
    pub previous_micros: i64,
}

/// A run to record: its lines, its journal entry, and the period's latest run it was computed against
/// (another run of the period recorded meanwhile makes it a conflict: computed again, it posts the rest).
#[derive(Debug, Clone)]
pub struct RunWrite<'a> {
    pub run: RunRecord,
    pub lines: &'a [(Line, i64)],
    pub entry: Option<JournalEntry>,
    pub after: Option<u64>,
}

/// Where a claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimStatus {
    Pending,
    Accepted,
    Rejected,
}

/// Someone's claim, with evidence, to money in the reserve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub id: u64,
    pub period: Period,
    pub work: String,
    pub unidentified: String,
    pub reason: ReserveReason,
    /// The party the reserved money was held for, when one was.
    pub held_for: String,
    /// Who claims it (a party key) and how they are to be paid.
    pub claimant: String,
    pub payee: Payee,
    pub evidence: String,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: String,
    pub status: ClaimStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub note: String,
}

/// What the distribution use cases need from a store. Every write is one transaction.
#[async_trait]
pub trait DistributionStore: disclosures::DisclosureStore {
    async fn distribution_rules(&self) -> StoreResult<Option<DistributionRules>>;
    async fn set_distribution_rules(&self, rules: &DistributionRules) -> StoreResult<()>;
    /// A page of works in code order, after `after`.
    async fn distribution_works(&self, after: &str, limit: u32) -> StoreResult<Vec<DistributionWork>>;
    /// Every party's society per right: (party key, right `PR`/`MR`/`SR`, society code).
    async fn affiliations(&self) -> StoreResult<Vec<(String, String, u16)>>;
    async fn all_consent(&self) -> StoreResult<Vec<ConsentChoice>>;
    /// Every recording known to be of a work: (recording key or ISRC, work code).
    async fn recording_works(&self) -> StoreResult<Vec<(String, String)>>;
    /// The output lines of a licensee's reports in force for a period.
    async fn period_outputs(&self, licensee: &str, period: Period) -> StoreResult<Vec<OutputRow>> {
        let mut out = Vec::new();
        self.each_period_output(licensee, period, &mut |o| out.push(o)).await?;
        Ok(out)
    }
    /// The same outputs, each handed to `each` as it is read (a period may hold millions).
    async fn each_period_output(
        &self,
        licensee: &str,
        period: Period,
        each: &mut (dyn FnMut(OutputRow) + Send),
    ) -> StoreResult<()>;
    /// The period's latest run and every line its runs posted, added up per line.
    async fn posted_lines(&self, period: Period) -> StoreResult<(Option<u64>, Vec<Line>)>;
    /// Records a run, its lines and its entry in one transaction, numbering it; a conflict if another run
    /// of the period was recorded since `after`.
    async fn record_run(&self, write: RunWrite<'_>) -> StoreResult<RunRecord>;
    async fn runs(&self) -> StoreResult<Vec<RunRecord>>;
    async fn run(&self, id: u64) -> StoreResult<Option<RunRecord>>;
    async fn run_lines(&self, run: u64) -> StoreResult<Vec<StoredLine>>;
    /// Every line any run posted to one party, in run order.
    async fn party_lines(&self, party: &str) -> StoreResult<Vec<StoredLine>>;
    /// Money in the reserve now: every reserve line of every run added up, those not zero.
    async fn reserve_lines(&self) -> StoreResult<Vec<Line>>;
    async fn add_claim(&self, claim: &Claim) -> StoreResult<u64>;
    async fn claims(&self) -> StoreResult<Vec<Claim>>;
    /// Decides a pending claim: the claim as it stands after, and whether this call decided it (false: it
    /// was decided before); `None` if there is no such claim.
    async fn decide_claim(
        &self,
        id: u64,
        status: ClaimStatus,
        by: &str,
        at: DateTime<Utc>,
        note: &str,
    ) -> StoreResult<Option<(Claim, bool)>>;
    /// The balance of every account of one kind, by holder (e.g. what each member has carried forward).
    async fn balances_of(&self, kind: &str) -> StoreResult<Vec<(String, Amount)>>;
}
