//! A period's whole allocation, with no I/O: every pool reduced by its deductions and split by its key
//! down to shares (`split`), accepted claims moving reserved money to its owner, and reserved money past
//! its non-distributable day used as the rules say. What comes out is the period's *target*: the lines it
//! should have posted by now, all runs together. A run posts the difference between the target and what
//! earlier runs posted, so the same inputs post nothing twice and a correction posts only what changed.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use money::{Currency, allocate_micros};
use serde::{Deserialize, Serialize};

use crate::catalogue::{Catalogue, Payee};
use crate::keys::Keys;
use crate::pools::PoolKey;
use crate::rules::{DistributionRules, NonDistributable};
use crate::split::{self, ReserveReason, ShareLine, Splitting};

/// What a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LineKind {
    /// The society's management fee.
    Fee,
    /// The social and cultural fund's part.
    Fund,
    /// A holder's share of a work's right.
    Share,
    /// Money waiting in the reserve (its reason beside it).
    Reserve,
}

impl LineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Fee => "fee",
            LineKind::Fund => "fund",
            LineKind::Share => "share",
            LineKind::Reserve => "reserve",
        }
    }

    pub fn parse(text: &str) -> Option<LineKind> {
        [LineKind::Fee, LineKind::Fund, LineKind::Share, LineKind::Reserve].into_iter().find(|k| k.as_str() == text)
    }
}

/// Which part of a pool a line is: everything but its amount. Two lines with the same identity in two
/// runs are the same money, the later one adjusting the earlier.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LineId {
    pub pool: PoolKey,
    pub currency: Currency,
    pub kind: LineKind,
    /// The work's code (empty for a deduction, or for money reserved as unidentified).
    pub work: String,
    /// What attribution named that the repertoire does not hold.
    pub unidentified: String,
    /// The holder's party key (empty where no party is known).
    pub party: String,
    /// `PR` or `MR` (empty for deductions and whole-work reserves).
    pub right: String,
    pub payee: Payee,
    pub reason: Option<ReserveReason>,
}

/// A line of a period's allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub id: LineId,
    pub amount_micros: i64,
}

/// Money one pool received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolMoney {
    pub key: PoolKey,
    pub currency: Currency,
    pub micros: i64,
}

/// A claim staff accepted: the reserved money of `work` (or what attribution named as `unidentified`)
/// for `reason` belongs to `claimant`, paid as `payee`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedClaim {
    pub id: u64,
    pub period: domain::Period,
    pub work: String,
    pub unidentified: String,
    pub reason: ReserveReason,
    /// The party the reserved line was held for, when one was (empty: any).
    pub held_for: String,
    pub claimant: String,
    pub payee: Payee,
}

/// The target lines of a period.
pub fn allocate(
    pools: &[PoolMoney],
    catalogue: &Catalogue,
    keys: &mut Keys<'_>,
    rules: &DistributionRules,
) -> Vec<Line> {
    let mut lines = Vec::new();
    for pool in pools {
        let stage_rules = rules.stage(pool.key.stage);
        let (fee, fund, net) = split::deductions(pool.micros, stage_rules);
        let deduction = |kind, amount| Line { id: line_id(pool, kind, None, catalogue), amount_micros: amount };
        lines.push(deduction(LineKind::Fee, fee));
        lines.push(deduction(LineKind::Fund, fund));
        let key = keys.key(&pool.key);
        let mut parts = split::Parts::new(catalogue.works.len());
        if !key.apply(net, &mut parts) {
            let mut id = line_id(pool, LineKind::Reserve, None, catalogue);
            id.reason = Some(ReserveReason::NoKey);
            lines.push(Line { id, amount_micros: net });
            continue;
        }
        let how = Splitting {
            stage: pool.key.stage,
            rules: stage_rules,
            as_of: keys.consent_day(&pool.key),
            territory: &pool.key.territory,
        };
        for share in split::merge(split::split(catalogue, &parts, how)) {
            let kind = if share.reserve.is_some() { LineKind::Reserve } else { LineKind::Share };
            lines.push(Line { id: line_id(pool, kind, Some(&share), catalogue), amount_micros: share.amount });
        }
    }
    lines.retain(|l| l.amount_micros != 0);
    lines
}

fn line_id(pool: &PoolMoney, kind: LineKind, share: Option<&ShareLine>, catalogue: &Catalogue) -> LineId {
    LineId {
        pool: pool.key.clone(),
        currency: pool.currency,
        kind,
        work: share.and_then(|s| s.work).map_or(String::new(), |w| catalogue.works[w as usize].code.clone()),
        unidentified: share.and_then(|s| s.unidentified.clone()).unwrap_or_default(),
        party: share
            .and_then(|s| s.party)
            .map_or(String::new(), |p| catalogue.parties[p as usize].key.as_str().to_owned()),
        right: share.and_then(|s| s.right).map_or(String::new(), |r| r.as_str().to_owned()),
        payee: share.map_or(Payee::Member, |s| s.payee),
        reason: share.and_then(|s| s.reserve),
    }
}

/// Moves reserved lines an accepted claim names to the claimant.
pub fn apply_claims(lines: &mut Vec<Line>, claims: &[AcceptedClaim]) {
    let mut moved = Vec::new();
    for line in lines.iter_mut().filter(|l| l.id.kind == LineKind::Reserve) {
        let Some(claim) = claims.iter().find(|c| {
            c.period == line.id.pool.period
                && c.work == line.id.work
                && c.unidentified == line.id.unidentified
                && Some(c.reason) == line.id.reason
                && (c.held_for.is_empty() || c.held_for == line.id.party)
        }) else {
            continue;
        };
        let mut id = line.id.clone();
        id.kind = LineKind::Share;
        id.party = claim.claimant.clone();
        id.payee = claim.payee;
        id.reason = None;
        moved.push(Line { id, amount_micros: line.amount_micros });
        line.amount_micros = 0;
    }
    lines.extend(moved);
    lines.retain(|l| l.amount_micros != 0);
}

/// Uses reserved money that became non-distributable by `today` (three years after the end of the
/// financial year it was collected in) as the rules say: given to the cultural fund, or spread over what
/// the same pool paid to shares, pro rata.
pub fn expire_reserve(lines: &mut Vec<Line>, rules: &DistributionRules, today: NaiveDate) {
    let mut extra: Vec<Line> = Vec::new();
    let expired: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].id.kind == LineKind::Reserve)
        .filter(|&i| crate::reserve::Clocks::of(lines[i].id.pool.period, rules).non_distributable_on <= today)
        .collect();
    if expired.is_empty() {
        return;
    }
    // Each pool's share lines, found once (not once per expired line).
    let mut shares_of: HashMap<&PoolKey, Vec<usize>> = HashMap::new();
    for (j, line) in lines.iter().enumerate().filter(|(_, l)| l.id.kind == LineKind::Share) {
        shares_of.entry(&line.id.pool).or_default().push(j);
    }
    let shares_of: HashMap<PoolKey, Vec<usize>> = shares_of.into_iter().map(|(k, v)| (k.clone(), v)).collect();
    for i in expired {
        let amount = lines[i].amount_micros;
        let shares: &[usize] = shares_of.get(&lines[i].id.pool).map_or(&[], Vec::as_slice);
        let weights: Vec<u64> = shares.iter().map(|&j| lines[j].amount_micros.max(0) as u64).collect();
        match (rules.non_distributable, allocate_micros(amount, &weights)) {
            (NonDistributable::Respread, Ok(parts)) => {
                for (&j, part) in shares.iter().zip(parts) {
                    lines[j].amount_micros += part;
                }
            }
            _ => {
                let mut id = lines[i].id.clone();
                id.kind = LineKind::Fund;
                (id.work, id.unidentified, id.party, id.right, id.reason) =
                    (String::new(), String::new(), String::new(), String::new(), None);
                id.payee = Payee::Member;
                extra.push(Line { id, amount_micros: amount });
            }
        }
        lines[i].amount_micros = 0;
    }
    lines.extend(extra);
    let mut merged: BTreeMap<LineId, i64> = BTreeMap::new();
    for line in lines.drain(..) {
        *merged.entry(line.id).or_default() += line.amount_micros;
    }
    lines.extend(merged.into_iter().filter(|(_, a)| *a != 0).map(|(id, amount_micros)| Line { id, amount_micros }));
}

/// What a run posts: the target less what earlier runs posted, line by line (with what was posted before,
/// for the statement's adjustments).
pub fn difference(target: &[Line], posted: &[Line]) -> Vec<(Line, i64)> {
    let mut before: BTreeMap<&LineId, i64> = BTreeMap::new();
    for line in posted {
        *before.entry(&line.id).or_default() += line.amount_micros;
    }
    let mut now: BTreeMap<&LineId, i64> = BTreeMap::new();
    for line in target {
        *now.entry(&line.id).or_default() += line.amount_micros;
    }
    let mut ids: Vec<&LineId> = before.keys().chain(now.keys()).copied().collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| {
            let (old, new) = (before.get(id).copied().unwrap_or(0), now.get(id).copied().unwrap_or(0));
            (old != new).then(|| (Line { id: id.clone(), amount_micros: new - old }, old))
        })
        .collect()
}
