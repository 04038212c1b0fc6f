//! A distribution small enough to check by hand: three works, six parties, two societies, a training and a
//! service pool, a holder who excluded training, a holder no society collects for, a fully AI-generated
//! work, a claim and a late report correction. Every amount is a literal worked out in the comments; the
//! statement of one member is pinned by snapshot.
//!
//! Rules: 10% management fee, 5% of the rest to the cultural fund; training money wholly mechanical,
//! service money half performing; excluded shares re-spread; minimum payout EUR 150.
//!
//! - W1 (human): A (writer, STIM) 60% PR and MR, B (publisher, PRS 052) 40%.
//! - W2 (human): C (writer, STIM) 50%, D (writer, no society) 25%, E (publisher, STIM) 25%. C reserved
//!   training from 2026-01-01.
//! - W3 (fully AI-generated): F (STIM) 100%: never receives.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use distribution::allocation::{self, AcceptedClaim, Line, LineKind, PoolMoney};
use distribution::catalogue::{Catalogue, Payee};
use distribution::keys::{KeyInputs, Keys, ModelInput};
use distribution::pools::PoolKey;
use distribution::rules::{DistributionRules, PoolStage};
use distribution::split::ReserveReason;
use distribution::store::{Inputs, RunRecord, StoredLine, Totals};
use distribution::{export, run, views};
use domain::{
    Consent, ConsentChoice, Interest, Origin, PartyKey, Period, RightShares, RightSocieties, Role, SocietyCode, Stage,
    StageDefaults, Work,
};
use money::{Amount, Currency, Share};

const EUR: Currency = Currency::EUR;

fn share(percent: u32) -> Share {
    Share::from_scaled(percent * 1_000_000).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// EUR with six decimals as micro-units: `eur("427.5")`.
fn eur(text: &str) -> i64 {
    Amount::parse(text, EUR).unwrap().micros()
}

fn interest(party: &str, role: Role, percent: u32, society: Option<SocietyCode>) -> Interest {
    Interest {
        ip_number: party.into(),
        party: PartyKey::new(party),
        name: party.into(),
        first_name: String::new(),
        ipi_name: None,
        ipi_base: None,
        role,
        controlled: true,
        chain: None,
        ownership: RightShares { performing: share(percent), mechanical: share(percent), synchronisation: Share::ZERO },
        societies: RightSocieties { performing: society, mechanical: society, synchronisation: None },
        collection: Vec::new(),
        publishers: Vec::new(),
        line: 0,
    }
}

fn work(title: &str, interests: Vec<Interest>, origin: Origin) -> Work {
    Work {
        title: title.into(),
        alternate_titles: Vec::new(),
        language: None,
        iswc: None,
        submitter_work_number: title.into(),
        duration_seconds: None,
        version_type: "ORI".into(),
        copyright_date: None,
        interests,
        performers: Vec::new(),
        recordings: Vec::new(),
        origin,
        valid_from: None,
        valid_until: None,
    }
}

fn catalogue() -> Catalogue {
    let stim = Some(SocietyCode::STIM);
    let prs = Some(SocietyCode::from_number(52));
    let writer = || Role::Writer("CA".into());
    let publisher = || Role::Publisher("E".into());
    let mut c = Catalogue::new(StageDefaults::all(Consent::Included));
    let none = |_: &PartyKey, _: domain::RightType| None;
    let w1 = work("W1", vec![interest("A", writer(), 60, stim), interest("B", publisher(), 40, prs)], Origin::Human);
    let w2 = work(
        "W2",
        vec![
            interest("C", writer(), 50, stim),
            interest("D", writer(), 25, None),
            interest("E", publisher(), 25, stim),
        ],
        Origin::Human,
    );
    let w3 = work("W3", vec![interest("F", writer(), 100, stim)], Origin::FullyAi);
    c.add_work("W1", true, false, &w1, SocietyCode::STIM, &none);
    c.add_work("W2", true, false, &w2, SocietyCode::STIM, &none);
    c.add_work("W3", false, false, &w3, SocietyCode::STIM, &none);
    c.add_consent(ConsentChoice {
        party: PartyKey::new("C"),
        work_code: None,
        stage: Stage::Training,
        consent: Consent::Reserved,
        effective_from: day(2026, 1, 1),
        recorded_by: "C".into(),
        recorded_at: chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap(),
        note: String::new(),
    });
    c
}

fn rules() -> DistributionRules {
    DistributionRules { minimum_payout: vec![Amount::parse("150", EUR).unwrap()], ..DistributionRules::default() }
}

fn inputs() -> KeyInputs {
    let mut inputs = KeyInputs::default();
    let model = ModelInput { trained_on: Some(day(2026, 3, 1)), matched: Vec::new() };
    inputs.models.insert(("songfox".into(), "sf-1".into()), model);
    inputs.services.insert(("songfox".into(), "app".into()), vec![(day(2026, 1, 1), vec!["sf-1".into()])]);
    inputs
}

fn march() -> Period {
    Period::month(2026, 3).unwrap()
}

fn pool(stage: PoolStage, source: &str, amount: &str) -> PoolMoney {
    let key =
        PoolKey { stage, licensee: "songfox".into(), source: source.into(), territory: String::new(), period: march() };
    PoolMoney { key, currency: EUR, micros: eur(amount) }
}

/// The period's target with `service` EUR in the service pool, claims applied.
fn target(service: &str, claims: &[AcceptedClaim]) -> Vec<Line> {
    let (catalogue, rules, inputs) = (catalogue(), rules(), inputs());
    let mut keys = Keys::new(&catalogue, &rules, &inputs);
    let pools = [pool(PoolStage::Training, "sf-1", "1000"), pool(PoolStage::Service, "app", service)];
    let mut lines = allocation::allocate(&pools, &catalogue, &mut keys, &rules);
    allocation::apply_claims(&mut lines, claims);
    lines
}

/// A line's amount found by what it is (stage, kind, work, party, right).
fn amount(lines: &[(Line, i64)], stage: PoolStage, kind: LineKind, work: &str, party: &str, right: &str) -> i64 {
    let found: Vec<i64> = lines
        .iter()
        .filter(|(l, _)| {
            l.id.pool.stage == stage
                && l.id.kind == kind
                && l.id.work == work
                && l.id.party == party
                && l.id.right == right
        })
        .map(|(l, _)| l.amount_micros)
        .collect();
    assert!(found.len() <= 1, "{found:?}");
    found.first().copied().unwrap_or(0)
}

fn totals(lines: &[(Line, i64)], carried: &HashMap<(String, Currency), i64>) -> (Vec<ledger::Posting>, Totals) {
    let (postings, totals) = run::payouts(lines, carried, &rules()).unwrap();
    assert_eq!(totals.len(), 1);
    ledger::check_balanced(&postings).expect("the run's entry balances");
    (postings, totals.into_iter().next().unwrap())
}

#[test]
fn the_worked_example_comes_out_to_the_micro_unit() {
    use LineKind::{Fee, Fund, Reserve, Share as S};
    use PoolStage::{Service, Training};
    // Run 1: training EUR 1,000 and service EUR 600 paid for March.
    let first = allocation::difference(&target("600", &[]), &[]);
    // Training: fee 10% = 100; fund 5% of 900 = 45; 855 split equally over W1 and W2 (W3 is fully AI):
    // 427.5 each, all mechanical. W1: A 60% = 256.5, B 40% = 171. W2: C reserved training, so D and E
    // share the work, 25:25: 213.75 each; D has no society, so his waits in the reserve.
    assert_eq!(amount(&first, Training, Fee, "", "", ""), eur("100"));
    assert_eq!(amount(&first, Training, Fund, "", "", ""), eur("45"));
    assert_eq!(amount(&first, Training, S, "W1", "A", "MR"), eur("256.5"));
    assert_eq!(amount(&first, Training, S, "W1", "B", "MR"), eur("171"));
    assert_eq!(amount(&first, Training, S, "W2", "C", "MR"), 0, "C excluded training");
    assert_eq!(amount(&first, Training, Reserve, "W2", "D", "MR"), eur("213.75"));
    assert_eq!(amount(&first, Training, S, "W2", "E", "MR"), eur("213.75"));
    // Service: fee 60, fund 27, 513 over W1 and W2 by sf-1's training key: 256.5 each, half PR, half MR
    // (128.25 each). W1: A 76.95, B 51.3 per right. W2 (C included the service): C 64.125, D 32.0625,
    // E 32.0625 per right.
    assert_eq!(amount(&first, Service, Fee, "", "", ""), eur("60"));
    assert_eq!(amount(&first, Service, Fund, "", "", ""), eur("27"));
    for right in ["PR", "MR"] {
        assert_eq!(amount(&first, Service, S, "W1", "A", right), eur("76.95"));
        assert_eq!(amount(&first, Service, S, "W1", "B", right), eur("51.3"));
        assert_eq!(amount(&first, Service, S, "W2", "C", right), eur("64.125"));
        assert_eq!(amount(&first, Service, Reserve, "W2", "D", right), eur("32.0625"));
        assert_eq!(amount(&first, Service, S, "W2", "E", right), eur("32.0625"));
    }
    assert!(first.iter().all(|(l, _)| l.id.work != "W3" && l.id.party != "F"), "a fully AI work never receives");
    assert!(
        first
            .iter()
            .filter(|(l, _)| l.id.kind == Reserve)
            .all(|(l, _)| l.id.reason == Some(ReserveReason::UnknownParty))
    );
    // Payouts: A 256.5 + 153.9 = 410.4 and E 213.75 + 64.125 = 277.875 reach the EUR 150 minimum; C has
    // 128.25, carried forward. PRS is owed B's 171 + 102.6 = 273.6. D's 277.875 is reserved.
    let (_, t) = totals(&first, &HashMap::new());
    assert_eq!(
        (t.money_in, t.management_fee, t.cultural_fund, t.members_paid, t.carried_forward, t.societies, t.reserve),
        (eur("1600"), eur("160"), eur("72"), eur("688.275"), eur("128.25"), eur("273.6"), eur("277.875"))
    );
    assert!(t.balances(), "1600 = 160 + 72 + 688.275 + 128.25 + 273.6 + 277.875");
    // Running again with the same inputs posts nothing.
    assert!(allocation::difference(&target("600", &[]), &lines_of(&first)).is_empty());

    // Run 2: D proves W2 is his, as a member: his reserved 213.75 + 64.125 move to him; nothing new comes in.
    let claim = AcceptedClaim {
        id: 1,
        period: march(),
        work: "W2".into(),
        unidentified: String::new(),
        reason: ReserveReason::UnknownParty,
        held_for: "D".into(),
        claimant: "D".into(),
        payee: Payee::Member,
    };
    let claimed_target = target("600", std::slice::from_ref(&claim));
    let second = allocation::difference(&claimed_target, &lines_of(&first));
    assert_eq!(amount(&second, Training, Reserve, "W2", "D", "MR"), -eur("213.75"));
    assert_eq!(amount(&second, Training, S, "W2", "D", "MR"), eur("213.75"));
    assert_eq!(second.len(), 6, "three lines leave the reserve, three reach D");
    let carried = HashMap::from([(("C".to_owned(), EUR), eur("128.25"))]);
    let (_, t) = totals(&second, &carried);
    assert_eq!((t.money_in, t.reserve, t.members_paid, t.carried_forward), (0, -eur("277.875"), eur("277.875"), 0));

    // Run 3: a late correction of the service report makes the service pool EUR 700. Only the service lines
    // change: fee +10, fund +4.5, 598.5 over the works, 149.625 per work and right. A +12.825 per right,
    // B +8.55, C +10.6875, D +5.34375, E +5.34375.
    let posted: Vec<Line> = lines_of(&first).into_iter().chain(lines_of(&second)).collect();
    let third = allocation::difference(&target("700", &[claim]), &posted);
    assert!(third.iter().all(|(l, _)| l.id.pool.stage == Service), "training is untouched");
    assert_eq!(amount(&third, Service, Fee, "", "", ""), eur("10"));
    assert_eq!(amount(&third, Service, S, "W1", "A", "PR"), eur("12.825"));
    assert_eq!(
        third.iter().find(|(l, _)| l.id.party == "A" && l.id.right == "PR").unwrap().1,
        eur("76.95"),
        "what it was"
    );
    assert_eq!(amount(&third, Service, S, "W2", "D", "MR"), eur("5.34375"));
    // Each member's addition is under the minimum: A 25.65, C 21.375 (with 128.25 carried: 149.625, still
    // under), D 10.6875, E 10.6875 are carried forward; PRS is owed 17.1 more.
    let (_, t) = totals(&third, &carried);
    assert_eq!(
        (t.money_in, t.management_fee, t.cultural_fund, t.members_paid, t.carried_forward, t.societies),
        (eur("100"), eur("10"), eur("4.5"), 0, eur("68.4"), eur("17.1"))
    );

    // A's statement over the three runs, pinned.
    let stored: Vec<StoredLine> = [(1, &first), (2, &second), (3, &third)]
        .into_iter()
        .flat_map(|(run, lines)| {
            lines.iter().map(move |(line, previous)| StoredLine { run, line: line.clone(), previous_micros: *previous })
        })
        .collect();
    let mut runs: BTreeMap<u64, Vec<StoredLine>> = BTreeMap::new();
    for line in &stored {
        runs.entry(line.run).or_default().push(line.clone());
    }
    let own: Vec<StoredLine> = stored.iter().filter(|l| l.line.id.party == "A").cloned().collect();
    // Run 2 read a decided claim, run 3 a corrected report: each adjustment says so.
    let record = |id: u64, claims: &str, usage: &str| RunRecord {
        id,
        period: Period::month(2026, 3).unwrap(),
        number: id as u32,
        created_at: day(2026, 5, 1).and_hms_opt(9, 0, 0).unwrap().and_utc(),
        created_by: "staff".into(),
        inputs: Inputs { claims: claims.into(), usage: usage.into(), ..Inputs::default() },
        totals: Vec::new(),
        lines: 0,
        journal_entry: None,
    };
    let reasons = distribution::store::adjustment_reasons(&[
        record(1, "none", "report r1"),
        record(2, "claim 1", "report r1"),
        record(3, "claim 1", "report r2"),
    ]);
    assert_eq!(reasons.get(&1), None, "a first run adjusts nothing");
    assert_eq!(reasons[&2], "changed since run 1: claims decided");
    assert_eq!(reasons[&3], "changed since run 2: reports, attribution or disclosures");
    let statement = views::statement_of(
        &PartyKey::new("A"),
        "Ann Writer".into(),
        Some("00014107338".into()),
        &own,
        &runs,
        &reasons,
        &[(EUR, eur("25.65"))],
    );
    // Gross = net + the line's part of its pool's deductions: training 256.5 of 855 bears 30 of the fee and
    // 13.5 of the fund (300.00 gross).
    assert_eq!(statement.lines[0].gross_micros, eur("300"));
    assert_eq!(statement.totals[0].net_micros, eur("436.05"), "410.4 + 25.65");
    expect_test::expect_file!["snapshots/statement-a.csv"].assert_eq(&export::statement_csv(&statement));
    expect_test::expect_file!["snapshots/statement-a.html"].assert_eq(&export::statement_html(&statement, "079 STIM"));
}

fn lines_of(lines: &[(Line, i64)]) -> Vec<Line> {
    lines.iter().map(|(l, _)| l.clone()).collect()
}
