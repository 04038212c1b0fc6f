//! How a pool's money reaches people, with no I/O: the society's deductions first, then the pool's key
//! gives each work (or each thing attributed that the repertoire does not know) its part, then each work's
//! part divides between the rights and over the shares of that right collected in the pool's territory.
//! A holder who excluded the stage gets nothing; what a work's shares leave unclaimed, what a holder no
//! society collects for is owed, and what a disputed work earns wait in the reserve, each with its reason.
//! Every division is by largest remainder, so every micro-unit lands on a named line.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use money::{SHARE_SCALE, Share, allocate_micros};
use serde::{Deserialize, Serialize};

use crate::catalogue::{Catalogue, Payee, Right, share_in};
use crate::rules::{PoolStage, StageRules};

/// What a key gives money to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// A work of the catalogue, by index.
    Work(u32),
    /// Something attributed that the repertoire does not hold (`isrc:SE…`): its money is reserved.
    Unidentified(String),
}

/// How a pool divides.
#[derive(Debug, Clone)]
pub enum Key {
    /// By these weights.
    Weights(Arc<Vec<(Target, u64)>>),
    /// Among these keys by their weights (a service's model versions by days on the service; outputs by
    /// their revenue), each then divided by its own key.
    Nested(Vec<(u64, Key)>),
}

impl Key {
    /// Whether the key gives nothing to anything.
    pub fn is_empty(&self) -> bool {
        match self {
            Key::Weights(weights) => weights.iter().all(|(_, w)| *w == 0),
            Key::Nested(parts) => parts.iter().all(|(w, k)| *w == 0 || k.is_empty()),
        }
    }

    /// Divides `amount` micro-units over the key's targets, adding each part to `out`. An empty key
    /// divides nothing and says so (false).
    pub fn apply(&self, amount: i64, out: &mut Parts) -> bool {
        match self {
            Key::Weights(weights) => {
                let raw: Vec<u64> = weights.iter().map(|(_, w)| *w).collect();
                let Ok(parts) = allocate_micros(amount, &raw) else { return false };
                for ((target, _), part) in weights.iter().zip(parts) {
                    out.add(target, part);
                }
                true
            }
            Key::Nested(parts) => {
                let live: Vec<&(u64, Key)> = parts.iter().filter(|(w, k)| *w > 0 && !k.is_empty()).collect();
                let weights: Vec<u64> = live.iter().map(|(w, _)| *w).collect();
                let Ok(amounts) = allocate_micros(amount, &weights) else { return false };
                for ((_, key), part) in live.into_iter().zip(amounts) {
                    key.apply(part, out);
                }
                true
            }
        }
    }
}

/// What a key gave each target, added up: works densely by index (a pool may reach every work of a
/// million), what attribution named that the repertoire does not hold by its name. Read in [`Target`]
/// order: works by index, then the unidentified by name.
#[derive(Debug, Clone, Default)]
pub struct Parts {
    works: Vec<i64>,
    unidentified: BTreeMap<String, i64>,
}

impl Parts {
    /// Parts for a catalogue of `works` works.
    pub fn new(works: usize) -> Parts {
        Parts { works: vec![0; works], unidentified: BTreeMap::new() }
    }

    pub fn add(&mut self, target: &Target, amount: i64) {
        if amount == 0 {
            return;
        }
        match target {
            Target::Work(w) => {
                let w = *w as usize;
                if w >= self.works.len() {
                    self.works.resize(w + 1, 0);
                }
                self.works[w] += amount;
            }
            Target::Unidentified(id) => *self.unidentified.entry(id.clone()).or_default() += amount,
        }
    }

    /// Every target given something, in [`Target`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Target, i64)> + '_ {
        let works = self.works.iter().enumerate().filter(|(_, a)| **a != 0).map(|(w, a)| (Target::Work(w as u32), *a));
        works.chain(
            self.unidentified.iter().filter(|(_, a)| **a != 0).map(|(id, a)| (Target::Unidentified(id.clone()), *a)),
        )
    }
}

/// Why money waits in the reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReserveReason {
    /// Attributed to something the repertoire does not hold.
    UnidentifiedWork,
    /// A share no known party holds (the registered shares add up to less than 100%), or a holder no
    /// society is known to collect for.
    UnknownParty,
    /// The work's registrations claim more than 100% together: held until the conflict is resolved.
    DisputedShare,
    /// Every holder of the right excluded the stage.
    Excluded,
    /// Nothing to divide the pool by (no included work, no usable attribution or analogy).
    NoKey,
}

impl ReserveReason {
    pub const ALL: [ReserveReason; 5] = [
        ReserveReason::UnidentifiedWork,
        ReserveReason::UnknownParty,
        ReserveReason::DisputedShare,
        ReserveReason::Excluded,
        ReserveReason::NoKey,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReserveReason::UnidentifiedWork => "unidentified-work",
            ReserveReason::UnknownParty => "unknown-party",
            ReserveReason::DisputedShare => "disputed-share",
            ReserveReason::Excluded => "excluded",
            ReserveReason::NoKey => "no-key",
        }
    }

    pub fn parse(text: &str) -> Option<ReserveReason> {
        ReserveReason::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// In words, for the reserve list and the transparency report.
    pub fn describe(self) -> &'static str {
        match self {
            ReserveReason::UnidentifiedWork => "attributed to a work or recording the repertoire does not hold",
            ReserveReason::UnknownParty => "a share no known party holds, or no society collects for",
            ReserveReason::DisputedShare => "the work's registrations claim more than 100% together",
            ReserveReason::Excluded => "every holder of the right excluded the stage",
            ReserveReason::NoKey => "nothing to divide the pool by",
        }
    }
}

/// One part of a pool after its key and shares: a holder's share of a work's right, or money reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShareLine {
    pub work: Option<u32>,
    /// What attribution named, for money reserved as unidentified.
    pub unidentified: Option<String>,
    pub party: Option<u32>,
    pub right: Option<Right>,
    pub payee: Payee,
    /// `None` for a holder's share; the reason for money reserved.
    pub reserve: Option<ReserveReason>,
    pub amount: i64,
}

/// A pool's amount less its deductions: (management fee, cultural fund, what is split). Each deduction is
/// rounded toward zero, so what is split keeps the remainders.
pub fn deductions(amount: i64, rules: &StageRules) -> (i64, i64, i64) {
    let fee = share_of(amount, rules.management_fee);
    let fund = share_of(amount - fee, rules.cultural_fund);
    (fee, fund, amount - fee - fund)
}

/// `share` of `amount`, rounded toward zero.
pub fn share_of(amount: i64, share: Share) -> i64 {
    (i128::from(amount) * i128::from(share.scaled()) / i128::from(SHARE_SCALE)) as i64
}

/// How one pool's divided money reaches shares: which stage's consent governs, on which day, in which
/// territory (an ISO country; empty: worldwide), on which rules.
#[derive(Debug, Clone, Copy)]
pub struct Splitting<'a> {
    pub stage: PoolStage,
    pub rules: &'a StageRules,
    pub as_of: NaiveDate,
    pub territory: &'a str,
}

/// Divides each target's part over its shares.
pub fn split(catalogue: &Catalogue, parts: &Parts, how: Splitting<'_>) -> Vec<ShareLine> {
    let mut lines = Vec::new();
    for (target, amount) in parts.iter() {
        match target {
            Target::Unidentified(id) => lines.push(ShareLine {
                work: None,
                unidentified: Some(id),
                party: None,
                right: None,
                payee: Payee::Unknown,
                reserve: Some(ReserveReason::UnidentifiedWork),
                amount,
            }),
            Target::Work(work) => split_work(catalogue, work, amount, how, &mut lines),
        }
    }
    lines
}

fn reserved(work: u32, party: Option<u32>, right: Option<Right>, reason: ReserveReason, amount: i64) -> ShareLine {
    ShareLine {
        work: Some(work),
        unidentified: None,
        party,
        right,
        payee: Payee::Unknown,
        reserve: Some(reason),
        amount,
    }
}

fn split_work(catalogue: &Catalogue, work: u32, amount: i64, how: Splitting<'_>, lines: &mut Vec<ShareLine>) {
    let w = &catalogue.works[work as usize];
    if !w.distributable {
        // Keys never give to a fully AI-generated work; should one, its money is not paid to anyone.
        lines.push(reserved(work, None, None, ReserveReason::NoKey, amount));
        return;
    }
    if w.disputed {
        lines.push(reserved(work, None, None, ReserveReason::DisputedShare, amount));
        return;
    }
    let performing = how.rules.performing.scaled();
    let mut rights =
        vec![(Right::Performing, u64::from(performing)), (Right::Mechanical, u64::from(SHARE_SCALE - performing))];
    // A right nobody holds gives its part to the other.
    let held = |right: Right| w.holdings.iter().any(|h| h.right == right);
    if !held(Right::Performing) || !held(Right::Mechanical) {
        rights.retain(|(r, _)| held(*r));
        if let [(_, weight)] = rights.as_mut_slice() {
            *weight = 1;
        }
    }
    if rights.is_empty() {
        lines.push(reserved(work, None, None, ReserveReason::UnknownParty, amount));
        return;
    }
    let weights: Vec<u64> = rights.iter().map(|(_, w)| *w).collect();
    let parts = allocate_micros(amount, &weights).unwrap_or_else(|_| vec![amount]);
    let stage = how.stage.consent_stage();
    for ((right, _), part) in rights.into_iter().zip(parts) {
        let holders: Vec<(&crate::catalogue::Holding, u32)> = w
            .holdings
            .iter()
            .filter(|h| h.right == right)
            .map(|h| (h, share_in(h, how.territory, how.as_of)))
            .collect();
        let total: u64 = holders.iter().map(|(_, s)| u64::from(*s)).sum();
        let unclaimed = u64::from(SHARE_SCALE).saturating_sub(total);
        let included: Vec<(&crate::catalogue::Holding, u64)> = holders
            .iter()
            .filter(|(h, s)| *s > 0 && catalogue.included(h.party, &w.code, stage, how.as_of))
            .map(|(h, s)| (*h, u64::from(*s)))
            .collect();
        let mut weights: Vec<u64> = included.iter().map(|(_, s)| *s).collect();
        weights.push(unclaimed);
        let Ok(shares) = allocate_micros(part, &weights) else {
            lines.push(reserved(work, None, Some(right), ReserveReason::Excluded, part));
            continue;
        };
        for ((holding, _), share) in included.iter().zip(&shares) {
            let unknown = holding.payee == Payee::Unknown;
            lines.push(ShareLine {
                work: Some(work),
                unidentified: None,
                party: Some(holding.party),
                right: Some(right),
                payee: holding.payee,
                reserve: unknown.then_some(ReserveReason::UnknownParty),
                amount: *share,
            });
        }
        if let Some(&rest) = shares.last().filter(|&&r| r != 0) {
            lines.push(reserved(work, None, Some(right), ReserveReason::UnknownParty, rest));
        }
    }
}

/// Lines of one holder, work and right added up (a writer who is also their own publisher holds twice).
pub fn merge(mut lines: Vec<ShareLine>) -> Vec<ShareLine> {
    lines.sort_by(|a, b| {
        (&a.work, &a.unidentified, &a.party, &a.right, &a.payee, &a.reserve).cmp(&(
            &b.work,
            &b.unidentified,
            &b.party,
            &b.right,
            &b.payee,
            &b.reserve,
        ))
    });
    let mut out: Vec<ShareLine> = Vec::with_capacity(lines.len());
    for line in lines {
        match out.last_mut() {
            Some(last)
                if (&last.work, &last.unidentified, &last.party, &last.right, &last.payee, &last.reserve)
                    == (&line.work, &line.unidentified, &line.party, &line.right, &line.payee, &line.reserve) =>
            {
                last.amount += line.amount
            }
            _ => out.push(line),
        }
    }
    out.retain(|l| l.amount != 0);
    out
}
