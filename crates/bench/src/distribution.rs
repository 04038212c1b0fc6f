//! `bench distribution`: one period distributed over a generated repertoire. The parent generates (seeded)
//! a CWR repertoire of `--works` works (about three shares each) and one output report of
//! `--attribution-lines` output lines, each attributed to two works of the repertoire (a tenth below the
//! confidence threshold, so the analogy key takes them); then, each in its own child process so that peak
//! memory is per phase: set-up (import, licensee, reports, invoice, payment), the distribution run (all four
//! pools: training, service, output, and none released — the presumption pool is empty without a
//! disclosure), and every party's statement of the run. Prints a table.

use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{TimeZone, Utc};
use domain::{Consent, Period, StageDefaults};
use engine::Store;
use engine::distribution::{export, run, views};
use engine::import::{AckSink, ImportOptions};
use engine::licensing::{Archive, invoicing, settlement};

use crate::rating;

fn march() -> Result<Period> {
    Period::month(2026, 3).context("a period")
}

/// Writes the repertoire (CWR 2.1) and returns the ISWCs it holds, for the attribution to name.
fn generate_repertoire(path: &Path, works: usize) -> Result<Vec<String>> {
    let mut generator = testkit::Generator::new(7);
    let generated: Vec<testkit::GeneratedWork> = generator.works(works).collect();
    let iswcs = generated.iter().filter_map(|w| w.iswc.as_ref().map(|i| i.to_string())).collect();
    testkit::write_cwr21(BufWriter::new(std::fs::File::create(path)?), generated, "20260101")?;
    Ok(iswcs)
}

/// Writes one output report of `lines` lines, each attributed to two works.
fn generate_outputs(path: &Path, lines: usize, iswcs: &[String]) -> Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(
        out,
        "report_id,period,currency,output_id,service,model_version,created_on,isrc,use_type,territory,usages,revenue,provider,provider_version,confidence,influences"
    )?;
    let n = iswcs.len().max(1);
    for line in 0..lines {
        let (a, b) = (&iswcs[(line * 7_919) % n], &iswcs[(line * 104_729 + 13) % n]);
        let confidence = if line % 10 == 0 { "0.3" } else { "0.8" };
        writeln!(
            out,
            "O0,2026-03,EUR,g{line},app0,m1,2026-03-{:02},,{},{},{},{}.{:02},Provider,1.0,{confidence},iswc:{a}=0.6|iswc:{b}=0.4",
            1 + line % 28,
            ["stream", "download"][line % 2],
            ["SE", "NO", "DK", "FI", "IS"][line % 5],
            1 + line % 900,
            line % 3,
            line % 100
        )?;
    }
    out.flush()?;
    Ok(())
}

async fn open(dir: &Path, url: Option<&str>) -> Result<Arc<dyn Store>> {
    Ok(match url {
        Some(url) => Arc::new(store_postgres::connect(url).await?),
        None => Arc::new(store_sqlite::open(&dir.join("distribution.db"), true).await?),
    })
}

/// Set-up: the society (every stage included by default), one licensee, the repertoire, its reports, the
/// invoice, paid in full.
async fn set_up(shared: &Arc<dyn Store>, dir: &Path) -> Result<()> {
    let store = shared.as_ref();
    let shape = rating::Shape { service_reports: 1, output_lines: 0, licensees: 1, output_files: 0 };
    rating::set_up(store, shape).await?;
    let mut rules = engine::registry::society(store, crate::staff()).await?.rules;
    rules.ai_defaults = StageDefaults::all(Consent::Included);
    engine::registry::set_rules(store, crate::staff(), rules).await?;
    let input = BufReader::with_capacity(1 << 20, std::fs::File::open(dir.join("repertoire.V21"))?);
    let sink: AckSink<'_> = Box::new(|_| Ok(Box::new(std::io::sink()) as Box<dyn Write + Send>));
    let at = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).single().context("a time")?;
    engine::import_cwr(shared, crate::staff(), input, "bench.V21", ImportOptions::new(at, "bench"), sink, &|_| {})
        .await?;
    let archive = Archive::new(dir.join("archive"));
    let (service, _, _) = rating::generate(dir, shape)?;
    rating::intake(store, &archive, &service).await?;
    rating::intake(store, &archive, &[("lic0000".to_owned(), dir.join("outputs.csv"))]).await?;
    rating::invoice(store).await?;
    let now = Utc.with_ymd_and_hms(2026, 5, 2, 0, 0, 0).single().context("a time")?;
    for invoice in invoicing::invoices(store, crate::staff(), None).await? {
        let number: domain::ids::InvoiceNumber = crate::id(&invoice.number);
        let total = invoice.rated.total;
        settlement::record_payment(store, crate::staff(), &number, "BANK", total, now.date_naive(), now).await?;
    }
    Ok(())
}

/// A child: one phase; prints "seconds peak_mib detail".
pub fn phase(name: &str, dir: &Path, url: Option<&str>) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let started = Instant::now();
    let detail = runtime.block_on(async {
        let store = open(dir, url).await?;
        let s = store.as_ref();
        let now = Utc.with_ymd_and_hms(2026, 5, 3, 0, 0, 0).single().context("a time")?;
        Ok::<String, anyhow::Error>(match name {
            "dist-setup" => {
                set_up(&store, dir).await?;
                String::new()
            }
            "dist-run" => {
                let request = run::RunRequest { period: march()?, dry_run: false, now };
                // Each step's start with the time and peak memory so far, on stderr (the parent shows it).
                let progress = |step: &str| {
                    eprintln!(
                        "    {step}: from {:.2} s, peak so far {:.0} MiB",
                        started.elapsed().as_secs_f64(),
                        crate::peak_mib()
                    )
                };
                let outcome = run::run(s, crate::staff(), request, &progress).await?;
                let recorded = outcome.recorded.context("the run posted")?;
                let totals = &outcome.planned.totals;
                if !totals.iter().all(|t| t.balances()) {
                    bail!("the run does not balance: {totals:?}");
                }
                format!("{} lines, {} EUR in", recorded.lines, export::cents(totals.iter().map(|t| t.money_in).sum()))
            }
            "dist-twin" => {
                let dir = dir.join("twin");
                std::fs::create_dir_all(&dir)?;
                let lines = crate::twin::export(s, march()?, 1, &dir).await?;
                format!("{lines} lines exported")
            }
            _ => {
                let mut out = BufWriter::new(std::fs::File::create(dir.join("statements.csv"))?);
                let count = views::each_run_statement(s, crate::staff(), 1, &mut |statement| {
                    out.write_all(export::statement_csv(&statement).as_bytes())
                        .map_err(|e| engine::distribution::DistributionError::Output(e.to_string()))
                })
                .await?;
                out.flush()?;
                format!("{count} statements")
            }
        })
    })?;
    println!("{} {} {detail}", started.elapsed().as_secs_f64(), crate::peak_mib());
    Ok(())
}

/// The parent: generates, runs each phase in a child, prints the table.
pub fn run(me: &Path, args: &[String]) -> Result<()> {
    let (mut works, mut lines) = (1_000_000usize, 10_000_000usize);
    let mut dir: Option<PathBuf> = None;
    let mut url: Option<String> = None;
    let mut keep = false;
    let mut duckdb = false;
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--works" => works = value.parse()?,
            "--attribution-lines" => lines = value.parse()?,
            "--dir" => dir = Some(PathBuf::from(value)),
            "--postgres-url" => url = Some(value),
            "--keep" | "--duckdb" => {
                if args[i] == "--keep" {
                    keep = true;
                } else {
                    duckdb = true;
                }
                i += 1;
                continue;
            }
            other => bail!(
                "unknown option {other}: bench distribution [--works N] [--attribution-lines N] [--dir DIR] [--postgres-url URL] [--duckdb] [--keep]"
            ),
        }
        i += 2;
    }
    let dir = dir.unwrap_or_else(|| std::env::temp_dir().join(format!("tantiem-bench-dist-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let t = Instant::now();
    let iswcs = generate_repertoire(&dir.join("repertoire.V21"), works)?;
    generate_outputs(&dir.join("outputs.csv"), lines, &iswcs)?;
    println!("generated {works} works and {lines} attributed output lines in {:.1} s", t.elapsed().as_secs_f64());
    let mut rows = Vec::new();
    let mut phases = vec![
        ("dist-setup", format!("set-up: import {works} works, reports ({lines} output lines), invoice, payment")),
        ("dist-run", "distribution run (training, service, output pools)".to_owned()),
        ("dist-statements", "every party's statement of the run (CSV)".to_owned()),
    ];
    if duckdb {
        phases.push(("dist-twin", "export the run's inputs and lines for the DuckDB twin".to_owned()));
    }
    for (phase, label) in phases {
        let (seconds, peak, detail) = crate::phase_child(me, phase, &dir, url.as_deref())?;
        eprintln!("  {phase}: {seconds:.2} s, peak {peak:.0} MiB {detail}");
        rows.push((label, seconds, peak, detail));
    }
    if duckdb {
        rows.push(twin_row(&dir)?);
    }
    println!();
    println!("| phase ({}) | seconds | peak memory | result |", if url.is_some() { "PostgreSQL" } else { "SQLite" });
    println!("|---|---:|---:|---|");
    for (label, seconds, peak, detail) in &rows {
        println!("| {label} | {seconds:.2} | {peak:.0} MiB | {detail} |");
    }
    if keep {
        println!("kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// Runs the DuckDB twin (`scripts/distribution-twin.py`) on the exported inputs: its own time and peak
/// memory, and whether every line agrees with the run's to the micro-unit (it fails if not).
fn twin_row(dir: &Path) -> Result<(String, f64, f64, String)> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/distribution-twin.py");
    let out = std::process::Command::new("python3").arg(&script).arg(dir.join("twin")).output()?;
    if !out.status.success() {
        bail!(
            "the DuckDB twin failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (seconds, peak, detail) = crate::measured(&out.stdout).context("the twin's output")?;
    eprintln!("  twin: {seconds:.2} s, peak {peak:.0} MiB {detail}");
    Ok(("the same allocation in DuckDB SQL (reading the exported inputs)".to_owned(), seconds, peak, detail))
}
