//! Distribution through the store, on both databases: the March invoice of the licensing story paid in two
//! parts; runs distribute only what was paid, balance, verify and never post the same money twice; a run
//! stopped at any moment leaves nothing behind and the next one completes it; statements, the reserve, a
//! claim paid by the next run, the transparency report and the dilution index read what runs posted; members
//! and sister societies read their own statements and settlements over the API, and nobody else's.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{at, day, set_up};
use domain::{Consent, Period, StageDefaults};
use engine::Store;
use engine::distribution::run::{self, RunOutcome, RunRequest};
use engine::distribution::{DistributionError, report, views};
use engine::licensing::Archive;
use engine::licensing::invoicing::{self, InvoiceRun, RunOutcome as Invoiced};
use engine::licensing::reports::{self, Intake};
use engine::licensing::{settlement, tokens};
use http_body_util::BodyExt;
use money::{Amount, Currency};
use story_tests::{staff, story};
use tower::ServiceExt;

const SERVICE_REPORT: &[u8] = include_bytes!("../../../docs/examples/songfox-service-2026-03.json");
const OUTPUT_REPORT: &[u8] = include_bytes!("../../../docs/examples/songfox-outputs-2026-03.csv");

fn march() -> Period {
    Period::month(2026, 3).unwrap()
}

fn eur(text: &str) -> Amount {
    Amount::parse(text, Currency::EUR).unwrap()
}

/// Songfox's March reported and invoiced (EUR 23,300.00, see the licensing story), consent included by
/// default; returns the invoice's number.
async fn invoiced(store: &Arc<dyn Store>) -> domain::ids::InvoiceNumber {
    set_up(store).await;
    let s = store.as_ref();
    let mut rules = engine::registry::society(s, staff()).await.unwrap().rules;
    rules.ai_defaults = StageDefaults::all(Consent::Included);
    engine::registry::set_rules(s, staff(), rules).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::new(dir.path());
    for file in [SERVICE_REPORT, OUTPUT_REPORT] {
        let intake = Intake::new(story_tests::songfox(), "story", &engine::OsEntropy, at(2026, 4, 10));
        reports::submit_report(s, staff(), &archive, file, intake).await.unwrap();
    }
    let invoice_run = InvoiceRun {
        period: march(),
        licensee: Some("songfox"),
        issued_on: day(2026, 4, 15),
        now: at(2026, 4, 15),
        rates: &[],
    };
    let outcome = invoicing::run_invoices(s, staff(), &invoice_run).await.unwrap().pop().unwrap().1;
    let Invoiced::Issued(invoice) = outcome else { panic!("an invoice: {outcome:?}") };
    assert_eq!(invoice.rated.total, eur("23300"));
    story_tests::id(&invoice.number)
}

async fn distribute(store: &Arc<dyn Store>, dry_run: bool, now: chrono::DateTime<chrono::Utc>) -> RunOutcome {
    let request = RunRequest { period: march(), dry_run, now };
    run::run(store.as_ref(), staff(), request, &|_| {}).await.expect("the run succeeds")
}

fn money_in(outcome: &RunOutcome) -> i64 {
    outcome.planned.totals.iter().map(|t| t.money_in).sum()
}

async fn pay(store: &Arc<dyn Store>, invoice: &domain::ids::InvoiceNumber, reference: &str, amount: &str) {
    settlement::record_payment(
        store.as_ref(),
        staff(),
        invoice,
        reference,
        eur(amount),
        day(2026, 5, 2),
        at(2026, 5, 2),
    )
    .await
    .unwrap();
}

/// Money invoiced but not paid is never distributed; each part paid is, once; the books verify.
async fn only_money_received_is_distributed_and_only_once(store: &Arc<dyn Store>) {
    let invoice = invoiced(store).await;
    let nothing = distribute(store, false, at(2026, 5, 1)).await;
    assert!(nothing.nothing_changed() && nothing.recorded.is_none(), "nothing paid, nothing distributed");

    // Half paid: half of each line's net (the VAT's share of the payment is not distributable), less the
    // held presumption part: (18,640.00 − 80.00) / 2 = 9,280.00.
    pay(store, &invoice, "BANK-1", "11650").await;
    let first = distribute(store, false, at(2026, 5, 3)).await;
    let recorded = first.recorded.clone().expect("a run");
    assert_eq!((recorded.number, money_in(&first)), (1, eur("9280").micros()));
    assert!(first.planned.totals.iter().all(|t| t.balances()));
    let t = &first.planned.totals[0];
    assert_eq!(t.management_fee, eur("928").micros(), "10%");
    assert_eq!(t.cultural_fund, eur("417.6").micros(), "5% of the rest");
    assert!(t.members_paid + t.carried_forward + t.societies + t.reserve > 0);
    story_tests::books_verify(store.as_ref()).await;
    assert!(distribute(store, false, at(2026, 5, 4)).await.nothing_changed(), "the same inputs post nothing");

    // The rest paid: the second run posts only the other half.
    pay(store, &invoice, "BANK-2", "11650").await;
    let second = distribute(store, false, at(2026, 5, 5)).await;
    assert_eq!((second.recorded.as_ref().unwrap().number, money_in(&second)), (2, eur("9280").micros()));
    let runs = views::runs(store.as_ref(), staff()).await.unwrap();
    assert_eq!(runs.len(), 2);
    story_tests::books_verify(store.as_ref()).await;

    // Every pool of the period is now empty of received money: what went in came out.
    let (_, posted) = store.posted_lines(march()).await.unwrap();
    let total: i64 = posted.iter().map(|l| l.amount_micros).sum();
    assert_eq!(total, eur("18560").micros());

    // A member's statement adds up; the transparency report and the dilution index read the runs.
    let member = posted
        .iter()
        .find(|l| {
            l.id.kind == engine::distribution::allocation::LineKind::Share
                && l.id.payee == engine::distribution::catalogue::Payee::Member
        })
        .expect("a member is paid");
    let party = domain::PartyKey::new(member.id.party.clone());
    let statement = views::statement(store.as_ref(), staff(), &party, None).await.unwrap();
    let net: i64 = posted.iter().filter(|l| l.id.party == member.id.party).map(|l| l.amount_micros).sum();
    assert_eq!(statement.totals[0].net_micros, net);
    assert!(statement.lines.iter().all(|l| l.gross_micros >= l.net_micros));
    // Every statement of a run at once says what each party's own says of that run.
    let first_run = runs[0].id;
    let all = views::run_statements(store.as_ref(), staff(), first_run).await.unwrap();
    let own = views::statement(store.as_ref(), staff(), &party, Some(first_run)).await.unwrap();
    assert_eq!(all.iter().find(|s| s.party == party.as_str()), Some(&own));
    assert!(all.windows(2).all(|w| w[0].party < w[1].party), "one statement per party, in order");
    let report = report::transparency(store.as_ref(), staff(), 2026, day(2026, 12, 31)).await.unwrap();
    assert_eq!(report.runs.len(), 2);
    assert_eq!(report.received.values().flat_map(|c| c.values()).sum::<i64>(), eur("18560").micros());
    let dilution = report::dilution(store.as_ref(), staff(), &[march()]).await.unwrap();
    let app = dilution.iter().find(|d| d.service == "app").expect("the app's index");
    assert!(app.ai_output_uses > 0 && app.human_received_micros > 0, "{app:?}");
}

/// A run stopped at any point (its task dropped mid-way, as a killed process's connection is) posts
/// nothing; the next run posts all of it, once.
async fn a_stopped_run_loses_and_duplicates_nothing(store: &Arc<dyn Store>) {
    let invoice = invoiced(store).await;
    pay(store, &invoice, "BANK-1", "23300").await;
    let planned = money_in(&distribute(store, true, at(2026, 5, 3)).await);
    assert_eq!(planned, eur("18560").micros());
    for delay_ms in [1, 5, 20, 60, 150] {
        let shared = store.clone();
        let task = tokio::spawn(async move {
            let request = RunRequest { period: march(), dry_run: false, now: at(2026, 5, 3) };
            run::run(shared.as_ref(), staff(), request, &|_| {}).await
        });
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        task.abort();
        let _ = task.await;
    }
    let after = distribute(store, false, at(2026, 5, 4)).await;
    let runs = views::runs(store.as_ref(), staff()).await.unwrap();
    let posted: i64 = runs.iter().flat_map(|r| &r.totals).map(|t| t.money_in).sum();
    assert_eq!(
        posted,
        planned,
        "every micro-unit once, whether a stopped run got through or not ({} runs)",
        runs.len()
    );
    assert!(after.nothing_changed() || after.recorded.is_some());
    assert!(distribute(store, false, at(2026, 5, 5)).await.nothing_changed());
    story_tests::books_verify(store.as_ref()).await;
}

/// A `distribute` process killed (SIGKILL) at any moment of its run loses and duplicates nothing: after kills
/// at growing delays, one more run completes the period, every micro-unit once, and the books verify.
async fn a_killed_process_loses_and_duplicates_nothing(test: story_tests::TestStore) {
    let store = &test.store;
    let invoice = invoiced(store).await;
    pay(store, &invoice, "BANK-1", "23300").await;
    let planned = money_in(&distribute(store, true, at(2026, 5, 3)).await);
    let mut killed = 0;
    for delay_ms in [30, 100, 250, 500, 900] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_distribute"))
            .arg(&test.url)
            .arg("2026-03")
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the process starts");
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        if child.try_wait().expect("its state").is_none() {
            child.kill().expect("SIGKILL");
            killed += 1;
        }
        let _ = child.wait();
    }
    assert!(killed > 0, "at least one process was killed mid-run");
    distribute(store, false, at(2026, 5, 4)).await;
    let runs = views::runs(store.as_ref(), staff()).await.unwrap();
    let posted: i64 = runs.iter().flat_map(|r| &r.totals).map(|t| t.money_in).sum();
    assert_eq!(posted, planned, "every micro-unit once ({killed} processes killed, {} runs)", runs.len());
    assert!(distribute(store, false, at(2026, 5, 5)).await.nothing_changed());
    story_tests::books_verify(store.as_ref()).await;
}

mod a_killed_process {
    #[tokio::test]
    async fn sqlite() {
        super::a_killed_process_loses_and_duplicates_nothing(story_tests::sqlite().await).await;
    }

    #[tokio::test]
    async fn postgres() {
        super::a_killed_process_loses_and_duplicates_nothing(story_tests::postgres().await).await;
    }
}

/// Reserved money claimed with evidence and accepted is paid by the period's next run, and only then.
async fn a_claim_is_paid_by_the_next_run(store: &Arc<dyn Store>) {
    let invoice = invoiced(store).await;
    pay(store, &invoice, "BANK-1", "23300").await;
    distribute(store, false, at(2026, 5, 3)).await;
    let reserve = views::reserve(store.as_ref(), staff(), day(2026, 5, 3)).await.unwrap();
    let item = reserve
        .iter()
        .find(|i| !i.work.is_empty() && i.reason == engine::distribution::split::ReserveReason::UnknownParty)
        .or_else(|| reserve.first())
        .expect("something is reserved (outputs attributed to unknown recordings at least)")
        .clone();
    assert_eq!(item.clocks.distribute_by, day(2027, 9, 30));
    // A claim covers the item's money in every pool of the period (an unidentified recording earns in each
    // territory's output pool).
    let claimed: i64 = reserve
        .iter()
        .filter(|i| {
            (i.period, &i.work, &i.unidentified, i.reason) == (item.period, &item.work, &item.unidentified, item.reason)
        })
        .filter(|i| item.party.is_empty() || i.party == item.party)
        .map(|i| i.amount_micros)
        .sum();
    let claimant = domain::PartyKey::new("IPI:00000000199");
    let request = views::ClaimRequest {
        period: item.period,
        work: item.work.clone(),
        unidentified: item.unidentified.clone(),
        reason: item.reason,
        held_for: item.party.clone(),
        claimant: claimant.clone(),
        payee: engine::distribution::catalogue::Payee::Member,
        evidence: String::new(),
    };
    let refused = views::submit_claim(store.as_ref(), staff(), request.clone(), at(2026, 5, 4)).await;
    assert!(matches!(refused, Err(DistributionError::BadClaim(_))), "a claim needs evidence");
    let request = views::ClaimRequest { evidence: "a publishing contract of 2019".into(), ..request };
    let claim = views::submit_claim(store.as_ref(), staff(), request, at(2026, 5, 4)).await.unwrap();
    assert!(distribute(store, false, at(2026, 5, 5)).await.nothing_changed(), "a pending claim moves nothing");
    views::resolve_claim(store.as_ref(), staff(), claim.id, true, "contract seen", at(2026, 5, 6)).await.unwrap();
    let again = views::resolve_claim(store.as_ref(), staff(), claim.id, false, "", at(2026, 5, 6)).await;
    assert!(matches!(again, Err(DistributionError::AlreadyDecided(..))));
    let paid = distribute(store, false, at(2026, 5, 7)).await;
    assert_eq!(money_in(&paid), 0, "nothing new came in");
    let t = &paid.planned.totals[0];
    assert_eq!(t.reserve, -claimed, "the claimed money left the reserve");
    assert_eq!(t.members_paid + t.carried_forward, claimed, "and reached the claimant");
    let statement = views::statement(store.as_ref(), staff(), &claimant, None).await.unwrap();
    assert_eq!(statement.totals[0].net_micros, claimed);
    story_tests::books_verify(store.as_ref()).await;
}

/// `GET uri` on `router` with `token`: the status and the JSON body.
async fn get(router: &axum::Router, uri: &str, token: Option<&str>) -> (StatusCode, serde_json::Value) {
    let mut request = Request::builder().uri(uri);
    if let Some(t) = token {
        request = request.header("Authorization", format!("Bearer {t}"));
    }
    let response = router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

/// A member reads their own party's statement over the API and a sister society what a run owes it; each
/// is refused everyone else's, and a licensee's token reads neither.
async fn members_and_sister_societies_read_their_own_over_the_api(store: &Arc<dyn Store>) {
    use engine::distribution::allocation::LineKind;
    use engine::distribution::catalogue::Payee;
    use engine::licensing::store::TokenHolder;
    let invoice = invoiced(store).await;
    pay(store, &invoice, "BANK-1", "23300").await;
    let run = distribute(store, false, at(2026, 5, 3)).await.recorded.expect("a run").id;
    let s = store.as_ref();
    let (_, posted) = s.posted_lines(march()).await.unwrap();
    let shares = || posted.iter().filter(|l| l.id.kind == LineKind::Share);
    let member = shares().find(|l| l.id.payee == Payee::Member).expect("a member is paid").id.party.clone();
    let other = shares().find(|l| l.id.party != member).expect("another party").id.party.clone();
    let society = shares()
        .find_map(|l| if let Payee::Society(code) = l.id.payee { Some(code) } else { None })
        .expect("a sister society is owed");

    let token = |holder: TokenHolder| async move {
        tokens::create_for_holder(s, staff(), &holder, "test", &engine::OsEntropy, at(2026, 5, 3)).await.unwrap()
    };
    let ann = token(TokenHolder::Member { name: "ann".into(), parties: vec![member.clone()] }).await;
    let sister = token(TokenHolder::Society { code: society, name: "sister".into() }).await;
    let songfox =
        tokens::create(s, staff(), story_tests::songfox(), "test", &engine::OsEntropy, at(2026, 5, 3)).await.unwrap();
    let unknown = TokenHolder::Member { name: "bo".into(), parties: vec!["IPI:99999999999".into()] };
    let refused = tokens::create_for_holder(s, staff(), &unknown, "test", &engine::OsEntropy, at(2026, 5, 3)).await;
    assert!(matches!(refused, Err(tokens::TokenError::UnknownParty(_))), "{refused:?}");
    let dir = tempfile::tempdir().unwrap();
    let state = server::AppState::new(store.clone(), Archive::new(dir.path()), server::Config::default());
    let router = server::router(state);

    let own = format!("/api/v1/parties/{member}/statements");
    let (status, body) = get(&router, &own, Some(&ann)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let net: i64 = posted.iter().filter(|l| l.id.party == member).map(|l| l.amount_micros).sum();
    assert_eq!(body["totals"][0]["net"]["micros"], net, "{body}");
    assert_eq!(body["lines"][0]["run"], run);
    let (status, _) = get(&router, &format!("{own}?run={run}"), Some(&ann)).await;
    assert_eq!(status, StatusCode::OK);
    for (uri, token, expected) in [
        (own.clone(), None, StatusCode::UNAUTHORIZED),
        (own.clone(), Some(&songfox), StatusCode::FORBIDDEN),
        (own.clone(), Some(&sister), StatusCode::FORBIDDEN),
        (format!("/api/v1/parties/{other}/statements"), Some(&ann), StatusCode::FORBIDDEN),
    ] {
        assert_eq!(get(&router, &uri, token.map(String::as_str)).await.0, expected, "{uri}");
    }

    let theirs = format!("/api/v1/societies/{society:03}/settlements/{run}");
    let (status, body) = get(&router, &theirs, Some(&sister)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let owed: i64 = shares().filter(|l| l.id.payee == Payee::Society(society)).map(|l| l.amount_micros).sum();
    assert_eq!(body["totals"][0]["micros"], owed, "{body}");
    assert!(body["lines"].as_array().is_some_and(|l| !l.is_empty()));
    let another = if society == 35 { 52 } else { 35 };
    for (uri, token, expected) in [
        (format!("/api/v1/societies/{another:03}/settlements/{run}"), Some(&sister), StatusCode::FORBIDDEN),
        (theirs.clone(), Some(&ann), StatusCode::FORBIDDEN),
        (theirs.clone(), Some(&songfox), StatusCode::FORBIDDEN),
        (format!("/api/v1/societies/{society:03}/settlements/999"), Some(&sister), StatusCode::NOT_FOUND),
        (format!("/api/v1/societies/ABC/settlements/{run}"), Some(&sister), StatusCode::BAD_REQUEST),
    ] {
        assert_eq!(get(&router, &uri, token.map(String::as_str)).await.0, expected, "{uri}");
    }
}

story!(
    only_money_received_is_distributed_and_only_once,
    a_stopped_run_loses_and_duplicates_nothing,
    a_claim_is_paid_by_the_next_run,
    members_and_sister_societies_read_their_own_over_the_api
);
