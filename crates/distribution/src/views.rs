//! The distribution's read and decide use cases besides the run: the rules, the runs and their lines,
//! statements of a party and settlements of a sister society, the reserve with its clocks, claims, the
//! annual transparency report and the dilution index.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{PartyKey, Period};
use money::Currency;
use ports::access::{Actor, Scope, UseCase};
use serde::{Deserialize, Serialize};

use crate::DistributionError;
use crate::allocation::{Line, LineKind};
use crate::catalogue::Payee;
use crate::reserve::Clocks;
use crate::rules::{DistributionRules, PoolStage};
use crate::split::ReserveReason;
use crate::store::{Claim, ClaimStatus, DistributionStore, RunRecord, StoredLine};

pub async fn rules(store: &dyn DistributionStore, actor: &Actor) -> Result<DistributionRules, DistributionError> {
    actor.may(UseCase::ShowDistributionRules, Scope::Society)?;
    Ok(store.distribution_rules().await?.unwrap_or_default())
}

pub async fn set_rules(
    store: &dyn DistributionStore,
    actor: &Actor,
    rules: &DistributionRules,
) -> Result<(), DistributionError> {
    actor.may(UseCase::SetDistributionRules, Scope::Society)?;
    let problems = rules.problems();
    if !problems.is_empty() {
        return Err(DistributionError::Rules(problems.join("; ")));
    }
    Ok(store.set_distribution_rules(rules).await?)
}

pub async fn runs(store: &dyn DistributionStore, actor: &Actor) -> Result<Vec<RunRecord>, DistributionError> {
    actor.may(UseCase::ShowDistribution, Scope::Society)?;
    Ok(store.runs().await?)
}

/// One run with its lines.
pub async fn run(
    store: &dyn DistributionStore,
    actor: &Actor,
    id: u64,
) -> Result<(RunRecord, Vec<StoredLine>), DistributionError> {
    actor.may(UseCase::ShowDistribution, Scope::Society)?;
    let run = store.run(id).await?.ok_or(DistributionError::UnknownRun(id))?;
    Ok((run, store.run_lines(id).await?))
}

/// One statement line: a party's money from one pool for one work and right, with its part of the pool's
/// deductions; an adjustment says what had been posted before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    pub run: u64,
    pub period: Period,
    pub stage: PoolStage,
    pub licensee: String,
    /// The model version (training, presumption) or the service.
    pub source: String,
    pub territory: String,
    pub work: String,
    pub right: String,
    pub currency: Currency,
    /// Before deductions: the line and its part of the management fee and the cultural fund.
    pub gross_micros: i64,
    pub management_fee_micros: i64,
    pub cultural_fund_micros: i64,
    /// What the line brings the party.
    pub net_micros: i64,
    /// For an adjustment: what earlier runs had posted on this line (0 for a first distribution).
    pub previous_micros: i64,
    /// Held for the party in the reserve (an unknown society), not yet payable.
    pub reserved: bool,
    /// For a line of an adjusting run: why the run was made (what changed in its inputs).
    pub reason: Option<String>,
}

impl StatementLine {
    /// `reserved` (held: no society is known to collect for the party), `adjustment` (a later run's change)
    /// or `distribution`.
    pub fn kind(&self) -> &'static str {
        match (self.reserved, self.previous_micros != 0 || self.reason.is_some()) {
            (true, _) => "reserved",
            (false, true) => "adjustment",
            (false, false) => "distribution",
        }
    }
}

/// A party's statement of one run (or of every run), as CMO Directive Art. 18 asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub party: String,
    pub name: String,
    pub ipi: Option<String>,
    pub runs: Vec<u64>,
    pub lines: Vec<StatementLine>,
    pub totals: Vec<StatementTotals>,
}

/// A statement's sums in one currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementTotals {
    pub currency: String,
    pub gross_micros: i64,
    pub management_fee_micros: i64,
    pub cultural_fund_micros: i64,
    pub net_micros: i64,
    /// Of the net, what adjusted earlier runs.
    pub adjustments_micros: i64,
    pub reserved_micros: i64,
    /// Carried forward under the minimum payout, outstanding (the account's balance now).
    pub outstanding_micros: i64,
}

/// Every line any run posted to `party` (or only those of `run`), with the deductions attributed.
pub async fn statement(
    store: &dyn DistributionStore,
    actor: &Actor,
    party: &PartyKey,
    run: Option<u64>,
) -> Result<Statement, DistributionError> {
    actor.may(UseCase::PartyStatements, Scope::Party(party.as_str()))?;
    let mut lines = store.party_lines(party.as_str()).await?;
    if let Some(run) = run {
        lines.retain(|l| l.run == run);
    }
    let mut pools: BTreeMap<u64, PoolSums> = BTreeMap::new();
    for run in lines.iter().map(|l| l.run).collect::<std::collections::BTreeSet<_>>() {
        pools.insert(run, pool_sums(&store.run_lines(run).await?));
    }
    let (name, ipi) = name_and_ipi(store, party.as_str()).await?;
    let outstanding = outstanding(store).await?.remove(party.as_str()).unwrap_or_default();
    let reasons = crate::store::adjustment_reasons(&store.runs().await?);
    Ok(statement_from_sums(party, name, ipi, &lines, &pools, &reasons, &outstanding))
}

/// Every party's statement of one run, the run's lines read once.
pub async fn run_statements(
    store: &dyn DistributionStore,
    actor: &Actor,
    run: u64,
) -> Result<Vec<Statement>, DistributionError> {
    let mut statements = Vec::new();
    each_run_statement(store, actor, run, &mut |s| {
        statements.push(s);
        Ok(())
    })
    .await?;
    Ok(statements)
}

/// Every party's statement of one run, each handed to `each` as it is made (a run may have a hundred
/// thousand parties: they are never all held at once), in party order; says how many.
pub async fn each_run_statement(
    store: &dyn DistributionStore,
    actor: &Actor,
    run: u64,
    each: &mut (dyn FnMut(Statement) -> Result<(), DistributionError> + Send),
) -> Result<usize, DistributionError> {
    actor.may(UseCase::ShowDistribution, Scope::Society)?;
    if store.run(run).await?.is_none() {
        return Err(DistributionError::UnknownRun(run));
    }
    let lines = store.run_lines(run).await?;
    let pools = BTreeMap::from([(run, pool_sums(&lines))]);
    let reasons = crate::store::adjustment_reasons(&store.runs().await?);
    let mut outstanding = outstanding(store).await?;
    let mut by_party: BTreeMap<String, Vec<StoredLine>> = BTreeMap::new();
    for line in lines.into_iter().filter(|l| !l.line.id.party.is_empty()) {
        by_party.entry(line.line.id.party.clone()).or_default().push(line);
    }
    let count = by_party.len();
    for (party, lines) in by_party {
        let (name, ipi) = name_and_ipi(store, &party).await?;
        let owed = outstanding.remove(&party).unwrap_or_default();
        each(statement_from_sums(&PartyKey::new(party), name, ipi, &lines, &pools, &reasons, &owed))?;
    }
    Ok(count)
}

async fn name_and_ipi(
    store: &dyn DistributionStore,
    party: &str,
) -> Result<(String, Option<String>), DistributionError> {
    Ok(store
        .party(party)
        .await?
        .map(|d| {
            (
                format!("{} {}", d.party.first_name, d.party.name).trim().to_owned(),
                d.party.ipi_name.map(|i| i.to_string()),
            )
        })
        .unwrap_or_default())
}

/// What every party has carried forward under the minimum payout, per currency.
async fn outstanding(
    store: &dyn DistributionStore,
) -> Result<BTreeMap<String, Vec<(Currency, i64)>>, DistributionError> {
    let mut out: BTreeMap<String, Vec<(Currency, i64)>> = BTreeMap::new();
    for (holder, amount) in store.balances_of("carried-forward").await? {
        out.entry(holder).or_default().push((amount.currency(), -amount.micros()));
    }
    Ok(out)
}

/// A run's deductions and what its pools gave holders, per pool and currency: (fee, fund, shares and reserve).
type PoolSums = std::collections::HashMap<(crate::pools::PoolKey, Currency), (i128, i128, i128)>;

fn pool_sums(run_lines: &[StoredLine]) -> PoolSums {
    let mut sums = PoolSums::new();
    for line in run_lines {
        let id = &line.line.id;
        let entry = sums.entry((id.pool.clone(), id.currency)).or_default();
        let amount = i128::from(line.line.amount_micros);
        match id.kind {
            LineKind::Fee => entry.0 += amount,
            LineKind::Fund => entry.1 += amount,
            LineKind::Share | LineKind::Reserve => entry.2 += amount,
        }
    }
    sums
}

/// A statement from a party's lines, each run's lines (for the deductions' parts), why each adjusting run
/// was made (`adjustment_reasons`) and what the party has outstanding per currency.
pub fn statement_of(
    party: &PartyKey,
    name: String,
    ipi: Option<String>,
    lines: &[StoredLine],
    run_lines: &BTreeMap<u64, Vec<StoredLine>>,
    reasons: &BTreeMap<u64, String>,
    outstanding: &[(Currency, i64)],
) -> Statement {
    let pools: BTreeMap<u64, PoolSums> = run_lines.iter().map(|(run, lines)| (*run, pool_sums(lines))).collect();
    statement_from_sums(party, name, ipi, lines, &pools, reasons, outstanding)
}

fn statement_from_sums(
    party: &PartyKey,
    name: String,
    ipi: Option<String>,
    lines: &[StoredLine],
    pools: &BTreeMap<u64, PoolSums>,
    reasons: &BTreeMap<u64, String>,
    outstanding: &[(Currency, i64)],
) -> Statement {
    let none = PoolSums::new();
    let statement_lines: Vec<StatementLine> = lines
        .iter()
        .map(|l| {
            let mut line = statement_line(l, pools.get(&l.run).unwrap_or(&none));
            line.reason = reasons.get(&l.run).cloned();
            line
        })
        .collect();
    let mut totals: BTreeMap<Currency, StatementTotals> = BTreeMap::new();
    for l in &statement_lines {
        let t = totals
            .entry(l.currency)
            .or_insert_with(|| StatementTotals { currency: l.currency.code().into(), ..Default::default() });
        t.gross_micros += l.gross_micros;
        t.management_fee_micros += l.management_fee_micros;
        t.cultural_fund_micros += l.cultural_fund_micros;
        t.net_micros += l.net_micros;
        if l.previous_micros != 0 {
            t.adjustments_micros += l.net_micros;
        }
        if l.reserved {
            t.reserved_micros += l.net_micros;
        }
    }
    for (currency, micros) in outstanding {
        if let Some(t) = totals.get_mut(currency) {
            t.outstanding_micros = *micros;
        }
    }
    let mut runs: Vec<u64> = lines.iter().map(|l| l.run).collect();
    runs.dedup();
    Statement {
        party: party.as_str().to_owned(),
        name,
        ipi,
        runs,
        lines: statement_lines,
        totals: totals.into_values().collect(),
    }
}

/// A party line with its part of its pool's deductions: the pool's fee and fund in that run shared over the
/// pool's other lines pro rata, rounded toward zero (for the statement only; the books carry the pool's).
fn statement_line(line: &StoredLine, pools: &PoolSums) -> StatementLine {
    let id = &line.line.id;
    let (fee, fund, net) = pools.get(&(id.pool.clone(), id.currency)).copied().unwrap_or_default();
    let part = |total: i128| if net == 0 { 0 } else { (total * i128::from(line.line.amount_micros) / net) as i64 };
    let (fee, fund) = (part(fee), part(fund));
    StatementLine {
        run: line.run,
        period: id.pool.period,
        stage: id.pool.stage,
        licensee: id.pool.licensee.clone(),
        source: id.pool.source.clone(),
        territory: id.pool.territory.clone(),
        work: id.work.clone(),
        right: id.right.clone(),
        currency: id.currency,
        gross_micros: line.line.amount_micros + fee + fund,
        management_fee_micros: fee,
        cultural_fund_micros: fund,
        net_micros: line.line.amount_micros,
        previous_micros: line.previous_micros,
        reserved: id.kind == LineKind::Reserve,
        reason: None,
    }
}

/// What one run owes a sister society, per party of theirs (with IPI numbers), so they can pay them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub society: String,
    pub run: u64,
    pub period: Period,
    pub lines: Vec<SettlementLine>,
    pub total_micros: Vec<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementLine {
    pub party: String,
    pub ipi: Option<String>,
    pub work: String,
    pub stage: PoolStage,
    pub licensee: String,
    pub source: String,
    pub territory: String,
    pub right: String,
    pub currency: Currency,
    pub amount_micros: i64,
    pub previous_micros: i64,
}

/// Every sister society a run owes something, with its settlement; or only `society`'s (which a sister
/// society may read of its own).
pub async fn settlements(
    store: &dyn DistributionStore,
    actor: &Actor,
    run: u64,
    society: Option<u16>,
) -> Result<Vec<Settlement>, DistributionError> {
    actor.may(UseCase::SocietySettlements, society.map_or(Scope::Society, Scope::SisterSociety))?;
    let record = store.run(run).await?.ok_or(DistributionError::UnknownRun(run))?;
    let mut by_society: BTreeMap<u16, Vec<SettlementLine>> = BTreeMap::new();
    let mut ipis: BTreeMap<String, Option<String>> = BTreeMap::new();
    for line in store.run_lines(run).await? {
        let id = &line.line.id;
        let (LineKind::Share, Payee::Society(code)) = (id.kind, id.payee) else { continue };
        if society.is_some_and(|wanted| wanted != code) {
            continue;
        }
        if !ipis.contains_key(&id.party) {
            let ipi = store.party(&id.party).await?.and_then(|d| d.party.ipi_name.map(|i| i.to_string()));
            ipis.insert(id.party.clone(), ipi);
        }
        by_society.entry(code).or_default().push(SettlementLine {
            party: id.party.clone(),
            ipi: ipis.get(&id.party).cloned().flatten(),
            work: id.work.clone(),
            stage: id.pool.stage,
            licensee: id.pool.licensee.clone(),
            source: id.pool.source.clone(),
            territory: id.pool.territory.clone(),
            right: id.right.clone(),
            currency: id.currency,
            amount_micros: line.line.amount_micros,
            previous_micros: line.previous_micros,
        });
    }
    // One society asked for gets its settlement even when the run owes it nothing, so that it can tell
    // "nothing" from "not run".
    if let Some(code) = society {
        by_society.entry(code).or_default();
    }
    Ok(by_society
        .into_iter()
        .map(|(code, lines)| {
            let mut totals: BTreeMap<String, i64> = BTreeMap::new();
            for l in &lines {
                *totals.entry(l.currency.code().to_owned()).or_default() += l.amount_micros;
            }
            Settlement {
                society: format!("{code:03}"),
                run,
                period: record.period,
                lines,
                total_micros: totals.into_iter().collect(),
            }
        })
        .collect())
}

/// Money in the reserve, with why and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReserveItem {
    pub period: Period,
    pub reason: ReserveReason,
    pub stage: PoolStage,
    pub licensee: String,
    pub work: String,
    pub unidentified: String,
    /// The party it is held for, when one is known.
    pub party: String,
    pub right: String,
    pub currency: Currency,
    pub amount_micros: i64,
    pub clocks: Clocks,
    /// `held`, `claimed` (a claim awaits a decision), `listing-due` (past the distribution deadline: list
    /// it to members), `non-distributable` (past three years: the next run uses it as the rules say).
    pub status: String,
}

/// The reserve now, oldest first.
pub async fn reserve(
    store: &dyn DistributionStore,
    actor: &Actor,
    today: NaiveDate,
) -> Result<Vec<ReserveItem>, DistributionError> {
    actor.may(UseCase::ListReserve, Scope::Society)?;
    let rules = store.distribution_rules().await?.unwrap_or_default();
    let claims = store.claims().await?;
    let mut items: Vec<ReserveItem> =
        store.reserve_lines().await?.into_iter().map(|l| reserve_item(l, &rules, &claims, today)).collect();
    items.sort_by(|a, b| (a.period, a.reason, &a.work, &a.party).cmp(&(b.period, b.reason, &b.work, &b.party)));
    Ok(items)
}

fn reserve_item(line: Line, rules: &DistributionRules, claims: &[Claim], today: NaiveDate) -> ReserveItem {
    let id = line.id;
    let clocks = Clocks::of(id.pool.period, rules);
    let claimed = claims.iter().any(|c| {
        c.status == ClaimStatus::Pending
            && c.period == id.pool.period
            && c.work == id.work
            && c.unidentified == id.unidentified
    });
    let status = if today >= clocks.non_distributable_on {
        "non-distributable"
    } else if claimed {
        "claimed"
    } else if today > clocks.distribute_by {
        "listing-due"
    } else {
        "held"
    };
    ReserveItem {
        period: id.pool.period,
        reason: id.reason.unwrap_or(ReserveReason::UnknownParty),
        stage: id.pool.stage,
        licensee: id.pool.licensee,
        work: id.work,
        unidentified: id.unidentified,
        party: id.party,
        right: id.right,
        currency: id.currency,
        amount_micros: line.amount_micros,
        clocks,
        status: status.to_owned(),
    }
}

/// A claim as submitted.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    pub period: Period,
    pub work: String,
    pub unidentified: String,
    pub reason: ReserveReason,
    pub held_for: String,
    pub claimant: PartyKey,
    /// How the claimant is paid: a member, or through their society.
    pub payee: Payee,
    pub evidence: String,
}

/// Submits a claim to reserved money; staff decide it, and the period's next run pays it.
pub async fn submit_claim(
    store: &dyn DistributionStore,
    actor: &Actor,
    request: ClaimRequest,
    now: DateTime<Utc>,
) -> Result<Claim, DistributionError> {
    actor.may(UseCase::SubmitClaim, Scope::Party(request.claimant.as_str()))?;
    if request.evidence.trim().is_empty() {
        return Err(DistributionError::BadClaim(
            "a claim needs evidence: say what shows the money is the claimant's (a contract, a registration, an ISWC)"
                .into(),
        ));
    }
    let reserved = store.reserve_lines().await?.into_iter().any(|l| {
        l.id.pool.period == request.period
            && l.id.work == request.work
            && l.id.unidentified == request.unidentified
            && l.id.reason == Some(request.reason)
            && (request.held_for.is_empty() || l.id.party == request.held_for)
    });
    if !reserved {
        return Err(DistributionError::BadClaim(format!(
            "nothing of {} {} is in the reserve for {} ({}): `tantiem reserve list` shows what is",
            request.period,
            if request.work.is_empty() { &request.unidentified } else { &request.work },
            request.reason.as_str(),
            if request.held_for.is_empty() { "any party" } else { &request.held_for }
        )));
    }
    let mut claim = Claim {
        id: 0,
        period: request.period,
        work: request.work,
        unidentified: request.unidentified,
        reason: request.reason,
        held_for: request.held_for,
        claimant: request.claimant.as_str().to_owned(),
        payee: request.payee,
        evidence: request.evidence,
        submitted_at: now,
        submitted_by: actor.name(),
        status: ClaimStatus::Pending,
        decided_by: None,
        decided_at: None,
        note: String::new(),
    };
    claim.id = store.add_claim(&claim).await?;
    Ok(claim)
}

pub async fn claims(store: &dyn DistributionStore, actor: &Actor) -> Result<Vec<Claim>, DistributionError> {
    actor.may(UseCase::ListClaims, Scope::Society)?;
    Ok(store.claims().await?)
}

/// Accepts or rejects a pending claim (once).
pub async fn resolve_claim(
    store: &dyn DistributionStore,
    actor: &Actor,
    id: u64,
    accept: bool,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Claim, DistributionError> {
    actor.may(UseCase::ResolveClaim, Scope::Society)?;
    let status = if accept { ClaimStatus::Accepted } else { ClaimStatus::Rejected };
    let (claim, decided) =
        store.decide_claim(id, status, &actor.name(), now, note).await?.ok_or(DistributionError::UnknownClaim(id))?;
    if !decided {
        return Err(DistributionError::AlreadyDecided(id, format!("{:?}", claim.status).to_lowercase()));
    }
    Ok(claim)
}
