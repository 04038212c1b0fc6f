//! A distribution run of one period: read what was paid and released for the period, the repertoire with
//! its shares and consent, the keys' inputs and accepted claims; allocate the period's target; post the
//! difference from what earlier runs posted, with one journal entry, in one transaction. The same inputs
//! post nothing the second time; a late report correction, a payment, a resolved conflict or a claim
//! posts only what it changes. A run killed at any moment leaves nothing behind: the next one does it all.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use domain::{PartyKey, Period, RightType, SocietyCode};
use ledger::{Account, JournalEntry, Posting};
use money::{Amount, Currency};
use ports::StoreError;
use ports::access::{Actor, Scope, UseCase};
use sha2::{Digest, Sha256};

use crate::DistributionError;
use crate::allocation::{self, AcceptedClaim, Line, LineKind, PoolMoney};
use crate::catalogue::{Catalogue, Payee};
use crate::keys::{KeyInputs, Keys, ModelInput, OutputInput};
use crate::pools::received_pools;
use crate::rules::{DistributionRules, PoolStage};
use crate::store::{ClaimStatus, DistributionStore, Inputs, RunRecord, RunWrite, Totals};

/// Works read per page while building the catalogue.
const PAGE: u32 = 5_000;

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct RunRequest {
    pub period: Period,
    /// Compute and show, write nothing.
    pub dry_run: bool,
    pub now: DateTime<Utc>,
}

/// What a run did (or, dry, would do).
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The run recorded; `None` when nothing changed since the last run (or on a dry run: see `planned`).
    pub recorded: Option<RunRecord>,
    /// The run as computed.
    pub planned: RunRecord,
    /// Its lines with what earlier runs had posted on each.
    pub lines: Vec<(Line, i64)>,
}

impl RunOutcome {
    pub fn nothing_changed(&self) -> bool {
        self.lines.is_empty()
    }
}

/// Runs the distribution of `request.period`.
#[tracing::instrument(skip_all, fields(period = %request.period))]
pub async fn run(
    store: &dyn DistributionStore,
    actor: &Actor,
    request: RunRequest,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<RunOutcome, DistributionError> {
    actor.may(UseCase::RunDistribution, Scope::Society)?;
    // A run that loses the race to another run of the period decides again from what that one posted.
    for _ in 0..3 {
        match attempt(store, actor, request, progress).await {
            Err(DistributionError::Store(StoreError::Conflict(_))) => continue,
            other => return other,
        }
    }
    attempt(store, actor, request, progress).await
}

async fn attempt(
    store: &dyn DistributionStore,
    actor: &Actor,
    request: RunRequest,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<RunOutcome, DistributionError> {
    let society = store.society().await?.ok_or(StoreError::NotInitialised)?;
    let rules = store.distribution_rules().await?.unwrap_or_default();
    let problems = rules.problems();
    if !problems.is_empty() {
        return Err(DistributionError::Rules(problems.join("; ")));
    }
    progress("money received");
    let (pools, money_digest) = money_in(store, actor, request.period).await?;
    progress("repertoire");
    let (catalogue, repertoire_digest, consent_digest) = load_catalogue(store, society.code, &society.rules).await?;
    progress("keys");
    let (inputs, usage_digest) = key_inputs(store, request.period, &pools).await?;
    let claims: Vec<AcceptedClaim> = accepted_claims(store, request.period).await?;
    progress("allocation");
    let mut keys = Keys::new(&catalogue, &rules, &inputs);
    let mut target = allocation::allocate(&pools, &catalogue, &mut keys, &rules);
    allocation::apply_claims(&mut target, &claims);
    allocation::expire_reserve(&mut target, &rules, request.now.date_naive());
    let (latest, posted) = store.posted_lines(request.period).await?;
    let lines = allocation::difference(&target, &posted);

    let inputs = Inputs {
        money: money_digest,
        repertoire: repertoire_digest,
        consent: consent_digest,
        usage: usage_digest,
        rules: digest_of(&serde_json::to_string(&rules).unwrap_or_default()),
        claims: digest_of(&format!("{claims:?}")),
        digest: String::new(),
    };
    let inputs = Inputs {
        digest: digest_of(&format!(
            "{} {} {} {} {} {}",
            inputs.money, inputs.repertoire, inputs.consent, inputs.usage, inputs.rules, inputs.claims
        )),
        ..inputs
    };
    let number = store.runs().await?.iter().filter(|r| r.period == request.period).count() as u32 + 1;
    let carried = carried_forward(store).await?;
    let (postings, totals) = payouts(&lines, &carried, &rules)?;
    for t in &totals {
        if !t.balances() {
            return Err(DistributionError::Unbalanced(format!("{t:?}")));
        }
    }
    let planned = RunRecord {
        id: 0,
        period: request.period,
        number,
        created_at: request.now,
        created_by: actor.name(),
        inputs,
        totals,
        lines: lines.len() as u64,
        journal_entry: None,
    };
    if lines.is_empty() || request.dry_run {
        return Ok(RunOutcome { recorded: None, planned, lines });
    }
    progress("posting");
    let entry = (!postings.is_empty()).then(|| JournalEntry {
        number: 0,
        idempotency_key: Some(format!("distribution {} run {number}", request.period)),
        posted_at: request.now,
        description: format!("distribution of {}, run {number}", request.period),
        source: books::source::DISTRIBUTION.to_owned(),
        postings,
    });
    let write = RunWrite { run: planned.clone(), lines: &lines, entry, after: latest };
    let recorded = store.record_run(write).await?;
    progress("verifying the books");
    books::check(store, false, request.now).await?;
    Ok(RunOutcome { recorded: Some(recorded), planned, lines })
}

/// What a run of `period` allocates from, as it reads it: the pools, the catalogue, the keys' inputs and
/// the rules (for an independent implementation to check the allocation against).
pub async fn allocation_inputs(
    store: &dyn DistributionStore,
    actor: &Actor,
    period: Period,
) -> Result<(Vec<PoolMoney>, Catalogue, KeyInputs, DistributionRules), DistributionError> {
    actor.may(UseCase::RunDistribution, Scope::Society)?;
    let society = store.society().await?.ok_or(StoreError::NotInitialised)?;
    let rules = store.distribution_rules().await?.unwrap_or_default();
    let (pools, _) = money_in(store, actor, period).await?;
    let (catalogue, _, _) = load_catalogue(store, society.code, &society.rules).await?;
    let (inputs, _) = key_inputs(store, period, &pools).await?;
    Ok((pools, catalogue, inputs, rules))
}

fn digest_of(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The period's pools: every invoice's part of what was paid on it, with its settled presumption parts.
async fn money_in(
    store: &dyn DistributionStore,
    actor: &Actor,
    period: Period,
) -> Result<(Vec<PoolMoney>, String), DistributionError> {
    let mut pools: BTreeMap<(crate::pools::PoolKey, Currency), i64> = BTreeMap::new();
    let mut digest = Sha256::new();
    for invoice in store.invoices(None).await?.into_iter().filter(|i| i.period == period) {
        let payments = store.payments(&invoice.number).await?;
        let mut received = invoice.paid_before.unwrap_or(Amount::zero(invoice.currency));
        for p in &payments {
            received = received.checked_add(p.amount).map_err(|e| DistributionError::Money(e.to_string()))?;
            digest.update(format!("{} {} {};", invoice.number, p.key, p.amount.micros()));
        }
        let settled = licensing::settlement::settled_parts(store, actor, &invoice).await?;
        for s in &settled {
            digest.update(format!("{} {} {} {};", invoice.number, s.model_version, s.to_pool.micros(), s.released));
        }
        digest.update(format!("{} {:?} {};", invoice.number, invoice.status, invoice.rated.total.micros()));
        for (key, micros) in received_pools(&invoice, received, &settled) {
            *pools.entry((key, invoice.currency)).or_default() += micros;
        }
    }
    let pools = pools.into_iter().map(|((key, currency), micros)| PoolMoney { key, currency, micros }).collect();
    Ok((pools, hex(digest)))
}

fn hex(digest: Sha256) -> String {
    digest.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The repertoire as the run reads it, with digests of its shares and of consent.
async fn load_catalogue(
    store: &dyn DistributionStore,
    own: SocietyCode,
    society_rules: &domain::SocietyRules,
) -> Result<(Catalogue, String, String), DistributionError> {
    let mut affiliation: HashMap<(PartyKey, &'static str), SocietyCode> = HashMap::new();
    let mut repertoire = Sha256::new();
    for (party, right, society) in store.affiliations().await? {
        let right = match right.as_str() {
            "PR" => "PR",
            "MR" => "MR",
            _ => continue,
        };
        repertoire.update(format!("{party} {right} {society};"));
        affiliation.entry((PartyKey::new(party), right)).or_insert(SocietyCode::from_number(society));
    }
    let society_of =
        |party: &PartyKey, right: RightType| affiliation.get(&(party.clone(), right.abbreviation())).copied();
    let mut catalogue = Catalogue::new(society_rules.ai_defaults);
    let mut after = String::new();
    loop {
        let page = store.distribution_works(&after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.code.clone();
        for w in page {
            let Some(work) = &w.work else { continue };
            repertoire.update(format!("{} {} {} ", w.code, w.origin.as_str(), w.disputed));
            repertoire.update(serde_json::to_string(&work.interests).unwrap_or_default());
            catalogue.add_work(&w.code, w.origin.is_distributable(), w.disputed, work, own, &society_of);
        }
    }
    for (recording, work) in store.recording_works().await? {
        repertoire.update(format!("{recording} {work};"));
        catalogue.add_recording(&recording, &work);
    }
    let mut consent = Sha256::new();
    consent.update(serde_json::to_string(&society_rules.ai_defaults).unwrap_or_default());
    for choice in store.all_consent().await? {
        consent.update(serde_json::to_string(&choice).unwrap_or_default());
        catalogue.add_consent(choice);
    }
    Ok((catalogue, hex(repertoire), hex(consent)))
}

/// The model versions, services and outputs the period's pools need.
async fn key_inputs(
    store: &dyn DistributionStore,
    period: Period,
    pools: &[PoolMoney],
) -> Result<(KeyInputs, String), DistributionError> {
    let mut inputs = KeyInputs::default();
    let mut digest = Sha256::new();
    let mut licensees: Vec<&str> = pools.iter().map(|p| p.key.licensee.as_str()).collect();
    licensees.sort_unstable();
    licensees.dedup();
    for licensee in licensees {
        for model in store.model_versions(licensee).await? {
            let mut matched = Vec::new();
            if let Some(disclosure) = store.current_disclosure(licensee, &model.id).await?
                && let Some(set) = store.match_sets(&disclosure.id).await?.pop()
            {
                matched = store.matched_works(set.id).await?;
                digest.update(format!("{} {} {};", model.id, disclosure.id, set.number));
            }
            let trained_on = model.trained_on.or(model.placed_on_eu_market);
            inputs.models.insert((licensee.to_owned(), model.id.clone()), ModelInput { trained_on, matched });
        }
        for service in store.services(licensee).await? {
            let timeline = service.timeline.iter().map(|t| (t.from, t.model_versions.clone())).collect();
            digest.update(format!("{} {:?};", service.id, service.timeline));
            inputs.services.insert((licensee.to_owned(), service.id.clone()), timeline);
        }
        let mut outputs: Vec<OutputInput> = Vec::new();
        store
            .each_period_output(licensee, period, &mut |o| {
                digest.update(format!(
                    "{} {} {:?} {:?};",
                    o.output_id,
                    o.revenue.micros(),
                    o.territories,
                    o.attribution
                ));
                outputs.push(OutputInput {
                    revenue_micros: o.revenue.micros(),
                    territories: o.territories,
                    model_version: o.model_version,
                    attribution: o.attribution.map(|a| {
                        let influences =
                            a.influences.into_iter().map(|i| (i.scheme, i.id, i.weight.scaled())).collect();
                        (a.confidence.scaled(), influences)
                    }),
                });
            })
            .await?;
        inputs.outputs.insert((licensee.to_owned(), period), outputs);
    }
    Ok((inputs, hex(digest)))
}

async fn accepted_claims(
    store: &dyn DistributionStore,
    period: Period,
) -> Result<Vec<AcceptedClaim>, DistributionError> {
    Ok(store
        .claims()
        .await?
        .into_iter()
        .filter(|c| c.status == ClaimStatus::Accepted && c.period == period)
        .map(|c| AcceptedClaim {
            id: c.id,
            period: c.period,
            work: c.work,
            unidentified: c.unidentified,
            reason: c.reason,
            held_for: c.held_for,
            claimant: c.claimant,
            payee: c.payee,
        })
        .collect())
}

/// What each member has carried forward, by (party key, currency).
pub async fn carried_forward(
    store: &dyn DistributionStore,
) -> Result<HashMap<(String, Currency), i64>, DistributionError> {
    Ok(store
        .balances_of("carried-forward")
        .await?
        .into_iter()
        // A credit balance: what the society holds for the member.
        .map(|(party, amount)| ((party, amount.currency()), -amount.micros()))
        .collect())
}

/// The ledger's pool a distribution pool's money sits in (released presumption money was moved to the
/// training pool when it was released).
fn ledger_pool(stage: PoolStage, period: Period) -> Account {
    let stage = match stage {
        PoolStage::Training | PoolStage::Presumption => ledger::PoolStage::Training,
        PoolStage::Service => ledger::PoolStage::Service,
        PoolStage::Output => ledger::PoolStage::Output,
    };
    Account::Pool { stage, period: period.to_string() }
}

/// The run's postings and totals: the pools debited by what is distributed from them; the deductions,
/// the reserve and sister societies credited; each member credited as payable once what they are owed
/// (with what they carried forward) reaches the minimum payout, and carried forward otherwise.
pub fn payouts(
    lines: &[(Line, i64)],
    carried: &HashMap<(String, Currency), i64>,
    rules: &DistributionRules,
) -> Result<(Vec<Posting>, Vec<Totals>), DistributionError> {
    let mut sums: BTreeMap<(Currency, Account), i64> = BTreeMap::new();
    let mut members: BTreeMap<(Currency, String), i64> = BTreeMap::new();
    let mut totals: BTreeMap<Currency, Totals> = BTreeMap::new();
    for (line, _) in lines {
        let id = &line.id;
        let amount = line.amount_micros;
        let t = totals
            .entry(id.currency)
            .or_insert_with(|| Totals { currency: id.currency.code().to_owned(), ..Totals::default() });
        t.money_in += amount;
        *sums.entry((id.currency, ledger_pool(id.pool.stage, id.pool.period))).or_default() += amount;
        let credit = match (id.kind, id.payee) {
            (LineKind::Fee, _) => {
                t.management_fee += amount;
                Account::ManagementFee
            }
            (LineKind::Fund, _) => {
                t.cultural_fund += amount;
                Account::CulturalFund
            }
            (LineKind::Reserve, _) | (LineKind::Share, Payee::Unknown) => {
                t.reserve += amount;
                Account::Reserve { reason: id.reason.map_or("unknown-party", |r| r.as_str()).to_owned() }
            }
            (LineKind::Share, Payee::Society(code)) => {
                t.societies += amount;
                Account::SocietyPayable { society: format!("{code:03}") }
            }
            (LineKind::Share, Payee::Member) => {
                *members.entry((id.currency, id.party.clone())).or_default() += amount;
                continue;
            }
        };
        // Credits are negative postings.
        *sums.entry((id.currency, credit)).or_default() -= amount;
    }
    for ((currency, party), owed) in members {
        let before = carried.get(&(party.clone(), currency)).copied().unwrap_or(0);
        let t = totals.entry(currency).or_default();
        if before + owed >= rules.minimum_in(currency) && before + owed > 0 {
            *sums.entry((currency, Account::MemberPayable { party: party.clone() })).or_default() -= before + owed;
            *sums.entry((currency, Account::CarriedForward { party })).or_default() += before;
            t.members_paid += before + owed;
            t.carried_forward -= before;
        } else {
            *sums.entry((currency, Account::CarriedForward { party })).or_default() -= owed;
            t.carried_forward += owed;
        }
    }
    let postings = sums
        .into_iter()
        .filter(|(_, micros)| *micros != 0)
        .map(|((currency, account), micros)| Posting { account, amount: Amount::from_micros(micros, currency) })
        .collect();
    Ok((postings, totals.into_values().collect()))
}
