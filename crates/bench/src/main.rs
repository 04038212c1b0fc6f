//! Benchmark programs for Tantiem. `bench cwr` measures CWR parsing and import throughput and peak memory;
//! `bench rating` the intake and invoicing of a period; `bench serve` licence verification over HTTP with
//! `wrk`; `bench audio` fingerprint extraction and recognition; `bench matching` manifest matching against
//! Splink; `bench disclosure` a training disclosure through the engine on SQLite; `bench ledger` payments,
//! balances and batch posting on journals of up to 10,000,000 postings. Each phase runs in its own
//! child process so peak memory is per phase.

/// An import allocates and frees millions of small strings; mimalloc does that markedly faster than glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use engine::Store;
use engine::import::{AckSink, ImportOptions};
use formats::cwr::{Context as CwrContext, ReadOptions, Reader, read_work};

mod audio;
mod disclosure;
mod distribution;
mod ledger;
mod matching;
mod rating;
mod serve;
mod twin;

fn usage() -> ! {
    eprintln!("usage: bench cwr [--works N] [--dir DIR] [--postgres-url URL] [--skip-postgres] [--keep]");
    eprintln!(
        "       bench rating [--service-reports N] [--output-lines N] [--licensees N] [--dir DIR] [--postgres-url URL]"
    );
    eprintln!("       bench serve [--duration SECONDS] [--connections N] [--threads N] [--skip-postgres]");
    eprintln!("       bench audio [--quick]   (needs wesnoth-1.16-music, singularity-music, sox, lame, fpcalc)");
    eprintln!(
        "       bench matching [--recordings N] [--items N] [--dir DIR] [--splink PYTHON] [--splink-script PATH]"
    );
    eprintln!("       bench disclosure [--works N] [--items N] [--dir DIR] [--keep]");
    eprintln!(
        "       bench distribution [--works N] [--attribution-lines N] [--dir DIR] [--postgres-url URL] [--duckdb] [--keep]"
    );
    eprintln!("       bench ledger [--sizes 10000,1000000,10000000] [--batch ENTRIES] [--calls N] [--skip-postgres]");
    std::process::exit(2)
}

/// The society's operator the benchmarks act as.
pub(crate) fn staff() -> &'static engine::Actor {
    static STAFF: std::sync::OnceLock<engine::Actor> = std::sync::OnceLock::new();
    STAFF.get_or_init(|| engine::Actor::operator("bench"))
}

/// One of Tantiem's own ids, as the benchmarks name them (they generate only valid ones).
pub(crate) fn id<T>(text: &str) -> T
where
    T: std::str::FromStr<Err = domain::ids::IdError>,
{
    text.parse().unwrap_or_else(|e| panic!("{e}"))
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("cwr") => cwr(&args[1..]),
        Some("rating") => rating::run(&std::env::current_exe()?, &args[1..]),
        Some("serve") => serve::run(&args[1..]),
        Some("audio") => audio::run_bench(&args[1..]),
        Some("matching") => matching::run(&std::env::current_exe()?, &args[1..]),
        Some("disclosure") => disclosure::run(&std::env::current_exe()?, &args[1..]),
        Some("distribution") => distribution::run(&std::env::current_exe()?, &args[1..]),
        Some("ledger") => ledger::run(&std::env::current_exe()?, &args[1..]),
        Some("ledger-phase") => ledger::phase(&args[1..]),
        Some("phase") => phase(&args[1..]),
        _ => usage(),
    }
}

/// Peak resident memory of this process in MiB (Linux VmHWM).
/// Runs `bench phase NAME DIR DIR [URL]` in a child process (so that its peak memory is its own) and
/// reads its line "SECONDS PEAK_MIB DETAIL"; the child's stderr (its progress) is passed on.
fn phase_child(me: &Path, name: &str, dir: &Path, url: Option<&str>) -> Result<(f64, f64, String)> {
    let mut command = std::process::Command::new(me);
    command.arg("phase").arg(name).arg(dir).arg(dir);
    if let Some(url) = url {
        command.arg(url);
    }
    let out = command.output()?;
    if !out.status.success() {
        anyhow::bail!("phase {name} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    measured(&out.stdout).with_context(|| format!("phase {name}'s output"))
}

/// A measured program's line "SECONDS PEAK_MIB DETAIL" (a phase child's, or the DuckDB twin's).
fn measured(stdout: &[u8]) -> Result<(f64, f64, String)> {
    let text = String::from_utf8_lossy(stdout).trim().to_owned();
    let mut parts = text.splitn(3, ' ');
    let seconds: f64 = parts.next().and_then(|s| s.parse().ok()).context("no seconds")?;
    let peak: f64 = parts.next().and_then(|s| s.parse().ok()).context("no peak memory")?;
    Ok((seconds, peak, parts.next().unwrap_or("").to_owned()))
}

fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn cwr(args: &[String]) -> Result<()> {
    let mut works = 1_000_000usize;
    let mut dir: Option<PathBuf> = None;
    let mut postgres_url: Option<String> = None;
    let mut skip_postgres = false;
    let mut keep = false;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--works" => works = args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()),
            "--dir" => dir = args.get(i + 1).map(PathBuf::from),
            "--postgres-url" => postgres_url = args.get(i + 1).cloned(),
            "--skip-postgres" | "--keep" => {
                skip_postgres |= args[i] == "--skip-postgres";
                keep |= args[i] == "--keep";
                i += 1;
                continue;
            }
            _ => usage(),
        }
        i += 2;
    }
    let temp = std::env::temp_dir().join(format!("tantiem-bench-{}", std::process::id()));
    let dir = dir.unwrap_or(temp);
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("bench.V21");
    let started = Instant::now();
    {
        let out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&file)?);
        let mut generator = testkit::Generator::new(1);
        testkit::write_cwr21(out, generator.works(works), "20261125")?;
    }
    let size = std::fs::metadata(&file)?.len();
    println!(
        "generated {works} works, {:.1} MB of CWR 2.1 in {:.1} s ({})",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        file.display()
    );

    let me = std::env::current_exe()?;
    let mut rows = Vec::new();
    for name in ["read", "read+works", "sqlite"] {
        rows.push(run_phase(&me, name, &file, &dir, None)?);
    }
    if !skip_postgres {
        let (url, cluster) = match postgres_url {
            Some(url) => (url, None),
            None => {
                let cluster = dir.join("pg");
                let output =
                    Command::new("scripts/pg-cluster").arg("start").arg(&cluster).output().context(
                        "starting a PostgreSQL cluster with scripts/pg-cluster (run from the repository root)",
                    )?;
                if !output.status.success() {
                    bail!("scripts/pg-cluster failed: {}", String::from_utf8_lossy(&output.stderr));
                }
                (String::from_utf8_lossy(&output.stdout).trim().to_owned(), Some(cluster))
            }
        };
        let result = run_phase(&me, "postgres", &file, &dir, Some(&url));
        if let Some(cluster) = cluster {
            let _ = Command::new("scripts/pg-cluster").arg("stop").arg(&cluster).status();
        }
        rows.push(result?);
    }
    println!();
    println!("| phase | seconds | MB/s | works/s | peak memory |");
    println!("|---|---:|---:|---:|---:|");
    for (name, seconds, peak) in rows {
        println!(
            "| {name} | {seconds:.2} | {:.0} | {:.0} | {peak:.0} MiB |",
            size as f64 / 1e6 / seconds,
            works as f64 / seconds
        );
    }
    if !keep {
        let _ = std::fs::remove_file(&file);
    }
    Ok(())
}

fn run_phase(me: &Path, name: &str, file: &Path, dir: &Path, url: Option<&str>) -> Result<(String, f64, f64)> {
    let mut command = Command::new(me);
    command.arg("phase").arg(name).arg(file).arg(dir);
    if let Some(url) = url {
        command.arg(url);
    }
    let output = command.output()?;
    if !output.status.success() {
        bail!("phase {name} failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut parts = text.split_whitespace();
    let seconds: f64 = parts.next().and_then(|s| s.parse().ok()).context("phase output")?;
    let peak: f64 = parts.next().and_then(|s| s.parse().ok()).context("phase output")?;
    eprintln!("  {name}: {seconds:.2} s, peak {peak:.0} MiB");
    Ok((name.to_owned(), seconds, peak))
}

/// A child process: runs one phase and prints "seconds peak_mib".
fn phase(args: &[String]) -> Result<()> {
    let (name, file, dir) = match args {
        [name, file, dir, ..] => (name.as_str(), PathBuf::from(file), PathBuf::from(dir)),
        _ => usage(),
    };
    if name.starts_with("dist-") {
        // Distribution's phases print their own line (with what they did).
        return distribution::phase(name, &dir, args.get(3).map(String::as_str));
    }
    let started = Instant::now();
    match name {
        "disclosure" => {
            let seconds = args.get(3).and_then(|s| s.parse().ok()).context("the manifest's seconds")?;
            disclosure::phase(&file, &dir, seconds)?
        }
        "match-files" => {
            let predictions = args.get(3).map(PathBuf::from).context("a predictions file")?;
            matching::match_files(&file, &dir, &predictions)?
        }
        "rating-service" | "rating-output" | "rating-invoice" => {
            rating::phase(name, &file, args.get(3).map(String::as_str))?
        }
        "read" | "read+works" => {
            let input = BufReader::with_capacity(1 << 20, std::fs::File::open(&file)?);
            let mut reader = Reader::open(input, ReadOptions::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
            let header = reader.header().clone();
            let submitter = header.submitter();
            let rules = domain::SocietyRules::opt_in();
            let ctx = CwrContext {
                version: header.version,
                submitter: &submitter,
                rules: &rules,
                territories: domain::Territories::cisac(),
                on: header.created.date(),
            };
            let mut transactions = 0u64;
            let mut interests = 0usize;
            while let Some(tx) = reader.next_transaction()? {
                transactions += 1;
                if name == "read+works" {
                    interests += read_work(&tx, &ctx).work.interests.len();
                }
            }
            let summary = reader.finish();
            if transactions == 0 || !summary.diagnostics.is_empty() {
                bail!("unexpected read: {transactions} transactions, {:?}", summary.diagnostics.first());
            }
            std::hint::black_box(interests);
        }
        "sqlite" | "postgres" => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(async {
                let store: std::sync::Arc<dyn Store> = if name == "sqlite" {
                    let path = dir.join("bench.db");
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                    }
                    std::sync::Arc::new(store_sqlite::open(&path, true).await?)
                } else {
                    let url = args.get(3).context("a PostgreSQL URL")?;
                    std::sync::Arc::new(store_postgres::connect(url).await?)
                };
                engine::registry::initialise(store.as_ref(), crate::staff(), domain::SocietyCode::STIM, None).await?;
                let input = BufReader::with_capacity(1 << 20, std::fs::File::open(&file)?);
                let sink: AckSink<'_> = Box::new(|_| Ok(Box::new(std::io::sink()) as Box<dyn Write + Send>));
                let report = engine::import_cwr(
                    &store,
                    crate::staff(),
                    input,
                    "bench.V21",
                    ImportOptions::new(Utc::now(), "bench"),
                    sink,
                    &|_| {},
                )
                .await?;
                if report.counts.registered != report.counts.transactions {
                    bail!("not every work registered: {:?}", report.counts);
                }
                Ok::<(), anyhow::Error>(())
            })?;
        }
        _ => usage(),
    }
    println!("{} {}", started.elapsed().as_secs_f64(), peak_mib());
    Ok(())
}
