//! `tantiem demo`: the main job on a fresh machine. Creates the store, imports a generated repertoire and
//! the real CWR files written by others (compiled in), and prints what was registered, rejected and
//! acknowledged; then licenses an example AI company: its agreement, its March 2026 reports (from
//! `docs/examples`), the invoice, the books and a signed licence certificate.

use std::io::{BufReader, BufWriter};
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::Args;
use engine::ImportReport;
use engine::import::ImportOptions;

use crate::{commands, print};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Works in the generated repertoire.
    #[arg(long, default_value_t = 5_000)]
    works: usize,
    /// Seed of the generated repertoire (the same seed gives the same bytes).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where the generated CWR file and the acknowledgements are written.
    #[arg(long, default_value = "tantiem-demo")]
    out: PathBuf,
    /// Start from an empty store (removes the SQLite file first).
    #[arg(long)]
    fresh: bool,
}

/// The real CWR files from `crates/formats/tests/fixtures/cwr` (see PROVENANCE.md there).
const FIXTURES: &[(&str, &[u8])] = &[
    ("dmp__CW220001DMP_000.V21", include_bytes!("../../formats/tests/fixtures/cwr/dmp__CW220001DMP_000.V21")),
    ("weso__nwrexample2.V21", include_bytes!("../../formats/tests/fixtures/cwr/weso__nwrexample2.V21")),
    ("weso__revexample.V21", include_bytes!("../../formats/tests/fixtures/cwr/weso__revexample.V21")),
    ("max1m__sample_v21.V21", include_bytes!("../../formats/tests/fixtures/cwr/max1m__sample_v21.V21")),
    ("weso__demo_cwr_cleaned.v22", include_bytes!("../../formats/tests/fixtures/cwr/weso__demo_cwr_cleaned.v22")),
    (
        "dmp__CW220002DMP_0000_V3-0-0.SUB",
        include_bytes!("../../formats/tests/fixtures/cwr/dmp__CW220002DMP_0000_V3-0-0.SUB"),
    ),
    (
        "dmp__CW220003DMP_0000_V3-0-0.ISR",
        include_bytes!("../../formats/tests/fixtures/cwr/dmp__CW220003DMP_0000_V3-0-0.ISR"),
    ),
    ("dmp__CW220001000_DMP.V21", include_bytes!("../../formats/tests/fixtures/cwr/dmp__CW220001000_DMP.V21")),
    ("dmp__CW220001052_DMP.V21", include_bytes!("../../formats/tests/fixtures/cwr/dmp__CW220001052_DMP.V21")),
    (
        "labeltools__sacm_ack_sample.txt",
        include_bytes!("../../formats/tests/fixtures/cwr/labeltools__sacm_ack_sample.txt"),
    ),
];

/// `archive` is where report and disclosure files are kept: the one every later command reads (so that
/// `disclosure rematch` after the demo finds the manifest).
pub async fn run(
    database_url: &str,
    archive: &engine::licensing::Archive,
    operator: &str,
    args: DemoArgs,
    now: DateTime<Utc>,
) -> Result<()> {
    let is_sqlite = !database_url.starts_with("postgres");
    if args.fresh && is_sqlite {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{database_url}{suffix}"));
        }
    }
    let store = crate::open_store(database_url, true).await?;
    let society = engine::registry::initialise(store.as_ref(), crate::actor(), domain::SocietyCode::STIM, None).await?;
    println!(
        "Tantiem demo — store: {} ({database_url}), society: {} ({})",
        store.backend(),
        society.name,
        society.code
    );

    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let generated = args.out.join(format!("CW{}0001199_{:03}.V21", now.format("%y"), society.code.number() % 1000));
    let started = std::time::Instant::now();
    {
        let file =
            std::fs::File::create(&generated).with_context(|| format!("cannot write {}", generated.display()))?;
        let mut generator = testkit::Generator::new(args.seed);
        testkit::write_cwr21(BufWriter::new(file), generator.works(args.works), &now.format("%Y%m%d").to_string())?;
    }
    println!(
        "Generated {} works (seed {}) as CWR 2.1: {} in {:.1?}",
        args.works,
        args.seed,
        generated.display(),
        started.elapsed()
    );

    let ack_dir = args.out.join("acks");
    let mut reports: Vec<ImportReport> = Vec::new();
    let options = || ImportOptions::new(now, operator);
    let file = std::fs::File::open(&generated)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let started = std::time::Instant::now();
    let name = generated.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let report = commands::import_one(&store, BufReader::new(file), &name, size, options(), &ack_dir).await?;
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    println!(
        "Imported the generated repertoire in {seconds:.2} s ({:.0} works/s)",
        report.counts.transactions as f64 / seconds
    );
    reports.push(report);
    for (name, bytes) in FIXTURES {
        match commands::import_one(&store, *bytes, name, bytes.len() as u64, options(), &ack_dir).await {
            Ok(report) => reports.push(report),
            Err(e) => println!("{name}: {e}"),
        }
    }
    for report in &reports[1..] {
        print::import_report(report, 12, &ack_dir);
    }
    print::import_totals(&reports);
    let counts = engine::registry::counts(store.as_ref(), crate::actor()).await?;
    println!();
    println!(
        "The registry now holds {} works ({} registrations, {} in conflict), {} parties, {} recordings, from {} submissions.",
        counts.works, counts.registrations, counts.conflicts, counts.parties, counts.recordings, counts.submissions
    );
    license_example(store.as_ref(), archive, &args.out, operator, now).await?;
    let me = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "tantiem".into());
    println!("Acknowledgements are in {}. Try:", ack_dir.display());
    println!("  {me} works search \"music pub cartoons\"");
    println!("  {me} works show T-123.456.789-4");
    println!("  {me} parties show 00000000199");
    println!("  {me} invoice show INV-{}-000001 --format html --output invoice.html", now.format("%Y"));
    println!("  {me} distribution list && {me} distribution show 1");
    println!("  {me} reserve list");
    println!("  {me} report transparency --year 2026 --output transparency.html");
    println!("  {me} serve    # then: curl localhost:8080/.well-known/tdmrep.json");
    Ok(())
}

const SERVICE_REPORT: &[u8] = include_bytes!("../../../docs/examples/songfox-service-2026-03.json");
const MANIFEST: &[u8] = include_bytes!("../../../docs/examples/songfox-sf-1-manifest.csv");
const SUMMARY: &[u8] = include_bytes!("../../../docs/examples/songfox-sf-1-summary.json");
const OUTPUT_REPORT: &[u8] = include_bytes!("../../../docs/examples/songfox-outputs-2026-03.csv");

/// The licensing half of the demo: one licensee, priced end to end.
async fn license_example(
    store: &dyn engine::Store,
    archive: &engine::licensing::Archive,
    out: &std::path::Path,
    operator: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    use domain::licensing::{AgreementStatus, Licensee, ModelVersion};
    use engine::licensing::{AgreementTerms, invoicing, licences, licensees, reports};
    println!();
    println!("Licensing Songfox AB (an example AI company) for training, its service and its outputs in SE and NO:");
    let licensee = Licensee {
        id: "songfox".into(),
        name: "Songfox AB".into(),
        country: "SE".into(),
        vat_number: Some("SE556000000001".into()),
        business_tier: "small".into(),
        contacts: vec!["licensing@songfox.example".into()],
    };
    licensees::put_licensee(store, crate::actor(), licensee).await?;
    for (id, day) in [("sf-1", 10), ("sf-2", 20)] {
        let model = ModelVersion {
            id: id.into(),
            licensee: "songfox".into(),
            name: "Songfox Music".into(),
            version: id.trim_start_matches("sf-").into(),
            base_models: Vec::new(),
            trained_on: None,
            placed_on_eu_market: chrono::NaiveDate::from_ymd_opt(2026, 3, day),
            training_summary_url: None,
        };
        licensees::put_model_version(store, crate::actor(), model).await?;
    }
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).context("a date")?;
    licensees::put_service(
        store,
        crate::actor(),
        &SONGFOX,
        "app",
        "Songfox app",
        Some((start, vec!["sf-1".into(), "sf-2".into()])),
    )
    .await?;
    if licensees::show(store, crate::actor(), &SONGFOX).await?.agreement.is_none() {
        let coverage = licensees::Coverage {
            effective_from: start,
            stages: domain::Stage::ALL.to_vec(),
            territories: vec!["SE".into(), "NO".into()],
            societies: vec![domain::SocietyCode::STIM],
            services: vec!["app".into()],
            model_versions: vec!["sf-1".into(), "sf-2".into()],
            use_types: vec!["stream".into(), "download".into()],
            term_until: None,
            status: AgreementStatus::Active,
        };
        let terms = AgreementTerms::new(rating::Tariff::illustrative(money::Currency::EUR)?);
        licensees::create_agreement(store, crate::actor(), "A-2026-001", &SONGFOX, coverage, terms, now).await?;
    }
    for (name, bytes) in
        [("songfox-service-2026-03.json", SERVICE_REPORT), ("songfox-outputs-2026-03.csv", OUTPUT_REPORT)]
    {
        let intake = reports::Intake::new(&SONGFOX, operator, &engine::OsEntropy, now);
        let (submitted, _) = reports::submit_report(store, crate::actor(), archive, bytes, intake).await?;
        let r = submitted.record();
        println!("  report {name}: {} lines{}", r.summary.lines, if r.summary.late { ", late" } else { "" });
        for u in &r.summary.unlicensed {
            println!("    flagged, outside the agreement: {u}");
        }
    }
    let period = domain::Period::month(2026, 3).context("a period")?;
    let run = invoicing::InvoiceRun { period, licensee: Some("songfox"), issued_on: now.date_naive(), now, rates: &[] };
    for (_, outcome) in invoicing::run_invoices(store, crate::actor(), &run).await? {
        let invoice = match outcome {
            invoicing::RunOutcome::Issued(i) | invoicing::RunOutcome::Unchanged(i) => *i,
            invoicing::RunOutcome::Corrected { invoice, .. } => *invoice,
            invoicing::RunOutcome::Cancelled { credit_note } => {
                println!("  {} cancels the period's invoice", credit_note.number);
                continue;
            }
            invoicing::RunOutcome::Nothing(why) | invoicing::RunOutcome::Failed(why) => {
                println!("  nothing invoiced: {why}");
                continue;
            }
        };
        println!("  invoice {} for {}:", invoice.number, invoice.period);
        for l in &invoice.rated.lines {
            println!(
                "    {:<42} {:<3} {:<24} {:>22}",
                l.description,
                l.territory.as_deref().unwrap_or(""),
                l.charge.rule,
                l.charge.amount.to_string()
            );
        }
        println!(
            "    net {}, {} {}, total {}; {} held by presumption",
            invoice.rated.net,
            invoice.rated.vat_note,
            invoice.rated.vat,
            invoice.rated.total,
            invoice.rated.presumption_held
        );
    }
    let verified = engine::books::verify(store, crate::actor(), false, now).await?;
    println!("  the journal verifies and balances ({} entries so far)", verified.through);
    disclose_example(store, archive, out, operator, now).await?;
    let passphrase = std::env::var("TANTIEM_KEY_PASSPHRASE").unwrap_or_else(|_| {
        println!(
            "  the signing key is the demo's, sealed with the published demo passphrase (TANTIEM_KEY_PASSPHRASE is not set): it signs the demo's licence and nothing else"
        );
        licences::DEMO_PASSPHRASE.to_owned()
    });
    if licences::published_keys(store, crate::actor()).await?.is_empty() {
        licences::rotate_key(store, crate::actor(), &passphrase, &engine::OsEntropy, now).await?;
    }
    match licences::issue_demo_licence(store, crate::actor(), &SONGFOX, &passphrase, now).await {
        Ok(licence) => {
            let path = out.join("songfox-licence.json");
            std::fs::write(&path, serde_json::to_string_pretty(&licence.signed)? + "\n")?;
            let verdict =
                licences::verify_online(store, crate::actor(), &std::fs::read_to_string(&path)?, now.date_naive())
                    .await?;
            println!(
                "  licence {} written to {}: signature valid {}, {}",
                licence.id,
                path.display(),
                verdict.signature_valid,
                verdict.detail
            );
        }
        Err(e) => println!("  no licence issued: {e}"),
    }
    distribute_example(store, out, operator, now).await
}

/// The money reaching rightsholders in the demo: most parties opt in to every stage (STIM's model: nothing
/// is licensed until they do), Songfox pays the March invoice, and the period is distributed.
async fn distribute_example(
    store: &dyn engine::Store,
    out: &std::path::Path,
    operator: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    use engine::distribution::{export, run, views};
    use engine::licensing::{invoicing, settlement};
    println!();
    println!("Distributing March 2026 to the rightsholders:");
    let from = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).context("a date")?;
    let mut opted = 0;
    for (index, party) in store
        .affiliations()
        .await?
        .iter()
        .map(|(p, _, _)| p.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .enumerate()
    {
        // Seven parties in ten opt in: the rest stay reserved, and their shares are re-spread.
        if index % 10 >= 7 {
            continue;
        }
        let request = engine::registry::ConsentRequest {
            party,
            work: None,
            stages: domain::Stage::ALL.to_vec(),
            consent: domain::Consent::Included,
            effective_from: from,
            note: "demo: opted in".into(),
        };
        if engine::registry::set_consent(store, crate::actor(), &request, operator, now).await.is_ok() {
            opted += 1;
        }
    }
    println!("  {opted} parties opted in to every AI stage");
    for invoice in invoicing::invoices(store, crate::actor(), Some(&SONGFOX)).await? {
        if invoice.kind != engine::licensing::store::InvoiceKind::Invoice
            || invoice.status != engine::licensing::store::InvoiceStatus::Issued
        {
            continue;
        }
        let number = domain::ids::InvoiceNumber::parse(&invoice.number)?;
        let reference = format!("DEMO-{}", invoice.number);
        let owed = invoice.rated.total;
        settlement::record_payment(store, crate::actor(), &number, &reference, owed, now.date_naive(), now).await?;
        println!("  Songfox paid {} ({owed})", invoice.number);
    }
    // The demo's catalogue is small and one month is distributed, so PRS's £30 threshold would hold every
    // member's money back; the demo society pays from €1 and carries smaller amounts forward.
    let mut rules = views::rules(store, crate::actor()).await?;
    rules.minimum_payout = vec![money::Amount::from_micros(1_000_000, money::Currency::EUR)];
    views::set_rules(store, crate::actor(), &rules).await?;
    println!("  the distribution rules: the defaults (docs/distribution.md) with a minimum payout of 1 EUR");
    let period = domain::Period::month(2026, 3).context("a period")?;
    let outcome = run::run(store, crate::actor(), run::RunRequest { period, dry_run: false, now }, &|_| {}).await?;
    for t in &outcome.planned.totals {
        println!(
            "  distributed {}: management fee {}, cultural fund {}, members {} (and {} carried forward under the minimum payout), sister societies {}, reserve {} {}",
            export::cents(t.money_in),
            export::cents(t.management_fee),
            export::cents(t.cultural_fund),
            export::cents(t.members_paid),
            export::cents(t.carried_forward),
            export::cents(t.societies),
            export::cents(t.reserve),
            t.currency
        );
    }
    let Some(run) = outcome.recorded else {
        println!("  nothing new to distribute (the period was distributed before)");
        return Ok(());
    };
    let (_, lines) = views::run(store, crate::actor(), run.id).await?;
    let member = lines
        .iter()
        .filter(|l| {
            l.line.id.kind == engine::distribution::allocation::LineKind::Share
                && l.line.id.payee == engine::distribution::catalogue::Payee::Member
        })
        .max_by_key(|l| l.line.amount_micros)
        .map(|l| l.line.id.party.clone());
    if let Some(party) = member {
        let statement =
            views::statement(store, crate::actor(), &domain::PartyKey::new(party.clone()), Some(run.id)).await?;
        let path = out.join("statement.html");
        let society = engine::registry::society(store, crate::actor()).await?;
        std::fs::write(&path, export::statement_html(&statement, &format!("{} {}", society.code, society.name)))?;
        println!(
            "  run {} posted journal entry {}; the statement of {party} is {}",
            run.id,
            run.journal_entry.unwrap_or(0),
            path.display()
        );
    }
    Ok(())
}

/// The presumption rule in the demo: model sf-1's AI Act summary alone (no transparency: the presumption
/// part stays held), then its item-level manifest with the summary (full transparency: the part is
/// credited back, but for the matched works' fee).
async fn disclose_example(
    store: &dyn engine::Store,
    archive: &engine::licensing::Archive,
    out: &std::path::Path,
    operator: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    use engine::disclosure::intake::{FileSource, MAX_FILE_BYTES, Submission, submit};
    let dir = out.join("disclosure");
    std::fs::create_dir_all(&dir)?;
    let manifest = dir.join("songfox-sf-1-manifest.csv");
    let summary = dir.join("songfox-sf-1-summary.json");
    std::fs::write(&manifest, MANIFEST)?;
    std::fs::write(&summary, SUMMARY)?;
    let presumption = ledger::Account::Presumption { licensee: "songfox".into() };
    println!("  training disclosures of model sf-1 (docs/examples):");
    for (what, files) in [
        ("the AI Act summary alone", vec![summary.clone()]),
        ("the manifest with the summary", vec![manifest.clone(), summary.clone()]),
    ] {
        let submission = Submission {
            licensee: &SONGFOX,
            model_version: "sf-1",
            files: files.iter().map(|p| FileSource::on_disk(p)).collect(),
            declared: engine::disclosure::DeclaredTotals::default(),
            received_by: operator,
            now,
            max_bytes: MAX_FILE_BYTES,
            progress: None,
            replace: false,
        };
        let (received, set, assessment) = submit(store, crate::actor(), archive, submission, None).await?;
        let c = &set.counts;
        println!(
            "    {what}: disclosure {}, {} items ({} matched, {} ambiguous, {} unmatched), transparency {}",
            received.disclosure().id,
            c.items,
            c.matched,
            c.ambiguous,
            c.unmatched,
            assessment.verdict
        );
        for s in &assessment.settlements {
            println!("      {s}");
        }
        engine::books::verify(store, crate::actor(), false, now).await?;
        let held = store.balance(&presumption, money::Currency::EUR).await?;
        println!("      the presumption account holds {}", held.checked_neg()?);
    }
    Ok(())
}

/// The demo's licensee.
static SONGFOX: std::sync::LazyLock<domain::ids::LicenseeId> =
    std::sync::LazyLock::new(|| domain::ids::LicenseeId::parse("songfox").expect("a valid id"));
