//! `bench ledger`: the books at scale. For each store and each journal size (postings) it fills a fresh
//! store with one streamed batch, verifies the whole journal once (which keeps a checkpoint), then times
//! recording payments through the engine (each verified incrementally, as in production) and reading a
//! licensee's balance; and it times posting one batch of 1,000,000 entries with its peak memory. Each
//! measurement runs in its own child process, so peak memory is per phase.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use domain::Period;
use domain::licensing::Licensee;
use engine::Store;
use engine::licensing::store::{Invoice, InvoiceKind, InvoiceStatus, PendingInvoice};
use ledger::{Account, JournalEntry, PoolStage, Posting};
use money::{Amount, Currency};

use crate::peak_mib;

fn usage() -> ! {
    eprintln!(
        "usage: bench ledger [--sizes 10000,1000000,10000000] [--batch ENTRIES] [--calls N] [--dir DIR] [--postgres-url URL] [--skip-postgres]"
    );
    std::process::exit(2)
}

struct Options {
    sizes: Vec<u64>,
    batch: u64,
    calls: usize,
    skip_postgres: bool,
    postgres_url: Option<String>,
}

fn options(args: &[String]) -> (Options, Option<String>) {
    let mut o = Options {
        sizes: vec![10_000, 1_000_000, 10_000_000],
        batch: 1_000_000,
        calls: 200,
        skip_postgres: false,
        postgres_url: None,
    };
    let mut dir = None;
    let mut i = 0;
    while i < args.len() {
        let value = || args.get(i + 1).cloned().unwrap_or_else(|| usage());
        match args[i].as_str() {
            "--sizes" => o.sizes = value().split(',').map(|s| s.parse().unwrap_or_else(|_| usage())).collect(),
            "--batch" => o.batch = value().parse().unwrap_or_else(|_| usage()),
            "--calls" => o.calls = value().parse().unwrap_or_else(|_| usage()),
            "--dir" => dir = Some(value()),
            "--postgres-url" => o.postgres_url = Some(value()),
            "--skip-postgres" => {
                o.skip_postgres = true;
                i += 1;
                continue;
            }
            _ => usage(),
        }
        i += 2;
    }
    (o, dir)
}

/// The parent: runs every phase in a child and prints the tables.
pub fn run(me: &Path, args: &[String]) -> Result<()> {
    let (o, dir) = options(args);
    let dir =
        dir.map_or_else(|| std::env::temp_dir().join(format!("tantiem-ledger-{}", std::process::id())), Into::into);
    std::fs::create_dir_all(&dir)?;
    let mut stores: Vec<(&str, Option<String>)> = vec![("SQLite", None)];
    let mut cluster = None;
    if !o.skip_postgres {
        let url = match &o.postgres_url {
            Some(url) => url.clone(),
            None => {
                let path = dir.join("pg");
                let out =
                    Command::new("scripts/pg-cluster").arg("start").arg(&path).output().context(
                        "starting a PostgreSQL cluster with scripts/pg-cluster (run from the repository root)",
                    )?;
                if !out.status.success() {
                    bail!("scripts/pg-cluster failed: {}", String::from_utf8_lossy(&out.stderr));
                }
                cluster = Some(path);
                String::from_utf8_lossy(&out.stdout).trim().to_owned()
            }
        };
        stores.push(("PostgreSQL", Some(url)));
    }
    let result = run_phases(me, &o, &dir, &stores);
    if let Some(path) = cluster {
        let _ = Command::new("scripts/pg-cluster").arg("stop").arg(&path).status();
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_phases(me: &Path, o: &Options, dir: &Path, stores: &[(&str, Option<String>)]) -> Result<()> {
    let mut calls = Vec::new();
    let mut batches = Vec::new();
    for (n, (name, url)) in stores.iter().enumerate() {
        for size in &o.sizes {
            let fields =
                child(me, dir, url.as_deref(), &format!("calls-{n}-{size}"), &[size.to_string(), o.calls.to_string()])?;
            calls.push((name.to_string(), *size, fields));
        }
        let fields = child(me, dir, url.as_deref(), &format!("batch-{n}"), &[o.batch.to_string()])?;
        batches.push((name.to_string(), fields));
    }
    println!();
    println!(
        "| store | postings | fill (s) | full verify (s) | payment median (ms) | payment p95 (ms) | balance median (ms) | balance p95 (ms) | peak |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, size, f) in &calls {
        println!(
            "| {name} | {size} | {:.1} | {:.1} | {:.2} | {:.2} | {:.3} | {:.3} | {:.0} MiB |",
            f[0], f[1], f[2], f[3], f[4], f[5], f[6]
        );
    }
    println!();
    println!("| store | entries in one batch | postings | seconds | entries/s | peak |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, f) in &batches {
        println!(
            "| {name} | {} | {} | {:.1} | {:.0} | {:.0} MiB |",
            o.batch,
            o.batch * 2,
            f[0],
            o.batch as f64 / f[0],
            f[1]
        );
    }
    Ok(())
}

/// Runs one phase in a child process and returns the numbers it printed.
fn child(me: &Path, dir: &Path, url: Option<&str>, phase: &str, args: &[String]) -> Result<Vec<f64>> {
    let mut command = Command::new(me);
    command.arg("ledger-phase").arg(phase).arg(dir).arg(url.unwrap_or("-")).args(args);
    let out = command.output()?;
    if !out.status.success() {
        bail!("phase {phase} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<f64> = text.split_whitespace().map(|s| s.parse().context("phase output")).collect::<Result<_>>()?;
    eprintln!("  {phase}: {fields:?}");
    Ok(fields)
}

/// A child: `ledger-phase NAME DIR URL|- ARGS…`.
pub fn phase(args: &[String]) -> Result<()> {
    let [name, dir, url, rest @ ..] = args else { usage() };
    let dir = Path::new(dir);
    let url = (url != "-").then_some(url.as_str());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let store = fresh_store(dir, url, name).await?;
        let numbers = match (name.split('-').next(), rest) {
            (Some("calls"), [size, calls]) => calls_phase(store.as_ref(), size.parse()?, calls.parse()?).await?,
            (Some("batch"), [entries]) => {
                let t = Instant::now();
                fill(store.as_ref(), 0, entries.parse()?).await?;
                vec![t.elapsed().as_secs_f64(), peak_mib()]
            }
            _ => usage(),
        };
        println!("{}", numbers.iter().map(|n| format!("{n:.4}")).collect::<Vec<_>>().join(" "));
        Ok(())
    })
}

/// A fresh store for one phase: a new SQLite file, or a new database on the cluster.
async fn fresh_store(dir: &Path, url: Option<&str>, name: &str) -> Result<Arc<dyn Store>> {
    Ok(match url {
        None => {
            let path = dir.join(format!("ledger-{name}.db"));
            let _ = std::fs::remove_file(&path);
            Arc::new(store_sqlite::open(&path, true).await?)
        }
        Some(url) => {
            let database = format!("ledger_{}", name.replace('-', "_"));
            let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(url).await?;
            let drop_it = format!("DROP DATABASE IF EXISTS {database}");
            sqlx::Executor::execute(&mut admin, sqlx::AssertSqlSafe(drop_it)).await?;
            sqlx::Executor::execute(&mut admin, sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}"))).await?;
            let base = url.rsplit_once('/').map_or(url, |(base, _)| base);
            Arc::new(store_postgres::connect(&format!("{base}/{database}")).await?)
        }
    })
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).single().expect("a time")
}

/// Posts `entries` two-posting entries (keyed from `first` on) in one streamed batch: receivables of 1,000 licensees (one entry in a
/// thousand on the measured licensee's) against the output pools of twelve months.
async fn fill(store: &dyn Store, first: u64, entries: u64) -> Result<()> {
    let generated = (first..first + entries).map(|i| {
        let licensee = if i % 1000 == 0 { "bench".to_owned() } else { format!("l{}", i % 1000) };
        let amount = Amount::from_micros(1_000_000 + (i % 977) as i64, Currency::EUR);
        let pool = Account::Pool { stage: PoolStage::Output, period: format!("2026-{:02}", i % 12 + 1) };
        JournalEntry {
            number: 0,
            idempotency_key: Some(format!("bench {i}")),
            posted_at: at(),
            description: format!("bench entry {i}"),
            source: "bench".into(),
            postings: vec![
                Posting::debit(Account::Receivable { licensee }, amount),
                Posting::credit(pool, amount).expect("a credit"),
            ],
        }
    });
    store.post_entries(Box::new(generated)).await?;
    Ok(())
}

/// Fills the store to `postings`, verifies it in full, then times `calls` payments and balance reads.
/// Returns fill s, full-verify s, payment median and p95 ms, balance median and p95 ms, peak MiB.
async fn calls_phase(store: &dyn Store, postings: u64, calls: usize) -> Result<Vec<f64>> {
    let t = Instant::now();
    let per_batch = 1_000_000;
    let entries = postings / 2;
    let mut posted = 0;
    while posted < entries {
        let n = (entries - posted).min(per_batch);
        fill(store, posted, n).await?;
        posted += n;
    }
    let fill_s = t.elapsed().as_secs_f64();
    let number = invoice(store).await?;
    let t = Instant::now();
    engine::books::verify(store, crate::staff(), true, at()).await?;
    let verify_s = t.elapsed().as_secs_f64();
    let day = NaiveDate::from_ymd_opt(2026, 12, 2).context("a date")?;
    let one = Amount::from_units(1, Currency::EUR)?;
    let mut payments = Vec::with_capacity(calls);
    for i in 0..calls {
        let t = Instant::now();
        engine::licensing::settlement::record_payment(
            store,
            crate::staff(),
            &crate::id(&number),
            &format!("bank {i}"),
            one,
            day,
            at(),
        )
        .await?;
        payments.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let receivable = Account::Receivable { licensee: "bench".into() };
    let mut balances = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        store.balance(&receivable, Currency::EUR).await?;
        balances.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (pm, p95) = median_p95(&mut payments);
    let (bm, b95) = median_p95(&mut balances);
    Ok(vec![fill_s, verify_s, pm, p95, bm, b95, peak_mib()])
}

fn median_p95(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples.get(((samples.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0);
    (at(0.5), at(0.95))
}

/// Issues one large invoice to the measured licensee, to pay against; returns its number.
async fn invoice(store: &dyn Store) -> Result<String> {
    let licensee = Licensee {
        id: "bench".into(),
        name: "Bench AI".into(),
        country: "SE".into(),
        vat_number: None,
        business_tier: "large".into(),
        contacts: vec![],
    };
    store.put_licensee(&licensee).await?;
    let total = Amount::from_units(1_000_000, Currency::EUR)?;
    let period = Period::month(2026, 11).context("a period")?;
    let day = NaiveDate::from_ymd_opt(2026, 12, 1).context("a date")?;
    let rated = rating::RatedPeriod {
        lines: vec![],
        net: total,
        vat: Amount::zero(Currency::EUR),
        vat_note: "no VAT".into(),
        total,
        presumption_held: Amount::zero(Currency::EUR),
        vat_rate: None,
    };
    let invoice = Invoice {
        number: String::new(),
        kind: InvoiceKind::Invoice,
        licensee: "bench".into(),
        licensee_name: licensee.name.clone(),
        period,
        agreement: "bench-agreement".into(),
        agreement_version: 1,
        issued_on: day,
        due_on: day,
        currency: Currency::EUR,
        conversions: vec![],
        rated,
        unlicensed: vec![],
        basis: vec![],
        corrects: None,
        status: InvoiceStatus::Issued,
        journal_entry: 0,
        training: vec![],
        paid_before: None,
        held_since: None,
        notes: vec![],
    };
    let entry = JournalEntry {
        number: 0,
        idempotency_key: Some("bench invoice".into()),
        posted_at: at(),
        description: "bench invoice".into(),
        source: engine::books::source::INVOICE.into(),
        postings: vec![
            Posting::debit(Account::Receivable { licensee: "bench".into() }, total),
            Posting::credit(Account::Pool { stage: PoolStage::Service, period: "2026-11".into() }, total)?,
        ],
    };
    let issued = store.issue_invoices(vec![PendingInvoice { invoice, series: "INV-2026".into(), entry }]).await?;
    Ok(issued.into_iter().next().context("an invoice")?.number)
}
