//! `tantiem demo`: the main job on a fresh machine. Creates the store, imports a generated repertoire and
//! the real CWR files written by others (compiled in), and prints what was registered, rejected and
//! acknowledged.

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

pub async fn run(database_url: &str, operator: &str, args: DemoArgs, now: DateTime<Utc>) -> Result<()> {
    let is_sqlite = !database_url.starts_with("postgres");
    if args.fresh && is_sqlite {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{database_url}{suffix}"));
        }
    }
    let store = crate::open_store(database_url, true).await?;
    let society = engine::registry::initialise(store.as_ref(), domain::SocietyCode::STIM, None).await?;
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
    let counts = store.counts().await?;
    println!();
    println!(
        "The registry now holds {} works ({} registrations, {} in conflict), {} parties, {} recordings, from {} submissions.",
        counts.works, counts.registrations, counts.conflicts, counts.parties, counts.recordings, counts.submissions
    );
    let me = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "tantiem".into());
    println!("Acknowledgements are in {}. Try:", ack_dir.display());
    println!("  {me} works search \"music pub cartoons\"");
    println!("  {me} works show T-123.456.789-4");
    println!("  {me} parties show 00000000199");
    Ok(())
}
