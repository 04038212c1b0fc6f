//! `bench disclosure`: a training disclosure through the whole engine on the embedded store. A generated
//! repertoire (testkit, seed 1) is imported as CWR 2.1 into a fresh SQLite file; a manifest lists its
//! recordings (70% of the items; ISRC left out on 30%, titles in lower case on half) and recordings from
//! elsewhere (30%). One child process then receives the disclosure (archived, read, validated, counted),
//! matches it into a match set (the repertoire loaded from the store, the items streamed through the matcher,
//! every row written) and assesses it; each step is timed, and the process's peak memory shows whether it
//! grows with the manifest.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use engine::Store;
use engine::disclosure::intake::{self, FileSource, MAX_FILE_BYTES, Submission};
use engine::disclosure::run::{self, MatchRun};

struct Options {
    works: usize,
    items: usize,
    dir: PathBuf,
    /// Keep the CWR file and the store for a look afterwards.
    keep: bool,
}

fn options(args: &[String]) -> Result<Options> {
    let (mut works, mut items, mut dir, mut keep) = (200_000usize, 1_000_000usize, None, false);
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--keep" {
            keep = true;
            i += 1;
            continue;
        }
        let value = args.get(i + 1).with_context(|| format!("{} needs a value", args[i]))?;
        match args[i].as_str() {
            "--works" => works = value.parse()?,
            "--items" => items = value.parse()?,
            "--dir" => dir = Some(PathBuf::from(value)),
            other => bail!("unknown option {other}"),
        }
        i += 2;
    }
    let dir = dir.unwrap_or_else(|| PathBuf::from(format!("target/bench-disclosure-{works}x{items}")));
    Ok(Options { works, items, dir, keep })
}

/// The manifest: the repertoire's recordings, lightly damaged, and recordings from elsewhere.
fn write_manifest(path: &Path, works: usize, items: usize) -> Result<u64> {
    let recordings: Vec<testkit::GeneratedRecording> =
        testkit::Generator::new(1).works(works).flat_map(|w| w.recordings).collect();
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "item_id,isrc,title,artists,duration_s,source")?;
    let mut rng = testkit::SplitMix64::new(5);
    let mut seconds = 0u64;
    for n in 0..items {
        if rng.chance(70) && !recordings.is_empty() {
            let r = &recordings[rng.below(recordings.len() as u64) as usize];
            let isrc = if rng.chance(30) { String::new() } else { r.isrc.to_string() };
            let title = if rng.chance(50) { r.title.to_lowercase() } else { r.title.clone() };
            seconds += u64::from(r.duration_seconds);
            writeln!(out, "I{n:08},{isrc},{title},{},{},licensed-catalogue", r.artist, r.duration_seconds)?;
        } else {
            let duration = 120 + rng.below(300);
            seconds += duration;
            writeln!(out, "I{n:08},,Elsewhere {n},Band {},{duration},example.org", n % 5_000)?;
        }
    }
    out.flush()?;
    Ok(seconds)
}

pub fn run(me: &Path, args: &[String]) -> Result<()> {
    let Options { works, items, dir, keep } = options(args)?;
    std::fs::create_dir_all(&dir)?;
    let cwr = dir.join("repertoire.V21");
    let store = dir.join("bench.db");
    let manifest = dir.join("manifest.csv");
    let started = Instant::now();
    {
        let out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&cwr)?);
        testkit::write_cwr21(out, testkit::Generator::new(1).works(works), "20261201")?;
    }
    let seconds = write_manifest(&manifest, works, items)?;
    eprintln!("generated {works} works and a manifest of {items} items in {:.1} s", started.elapsed().as_secs_f64());
    let (_, import_seconds, _) = crate::run_phase(me, "sqlite", &cwr, &dir, None)?;
    let output =
        Command::new(me).arg("phase").arg("disclosure").arg(&manifest).arg(&dir).arg(seconds.to_string()).output()?;
    if !output.status.success() {
        bail!("the disclosure phase failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    let numbers: Vec<f64> = text.split_whitespace().filter_map(|n| n.parse().ok()).collect();
    // The phase prints its four figures, then the generic phase line: its own seconds and peak memory.
    let [receive, matched, assess, total, _, peak] = numbers[..] else { bail!("unexpected phase output {text:?}") };
    let size = std::fs::metadata(&manifest)?.len() as f64 / 1e6;
    println!();
    println!(
        "{works} works imported into SQLite in {import_seconds:.1} s; a manifest of {items} items ({size:.0} MB of CSV)"
    );
    println!();
    println!("| step | seconds | items/s |");
    println!("|---|---:|---:|");
    for (step, s) in [
        ("receive (archive, read, validate, count)", receive),
        ("match (load, stream, write rows)", matched),
        ("assess (verdict, consent, settle)", assess),
        ("total", total),
    ] {
        println!("| {step} | {s:.1} | {:.0} |", items as f64 / s.max(1e-9));
    }
    println!();
    println!("peak memory of the disclosure process: {peak:.0} MiB");
    if keep {
        eprintln!("kept {} and {}", cwr.display(), store.display());
        return Ok(());
    }
    let _ = std::fs::remove_file(&cwr);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", store.display()));
    }
    let _ = std::fs::remove_dir_all(dir.join("archive"));
    Ok(())
}

/// The child: receives, matches and assesses the manifest on the store `run_phase("sqlite")` left in `dir`;
/// prints "receive match assess total" seconds (the caller adds the peak).
pub fn phase(manifest: &Path, dir: &Path, seconds: u64) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let store: std::sync::Arc<dyn Store> =
            std::sync::Arc::new(store_sqlite::open(&dir.join("bench.db"), false).await?);
        let s = store.as_ref();
        let now = Utc::now();
        engine::licensing::licensees::put_licensee(
            s,
            crate::staff(),
            domain::licensing::Licensee {
                id: "songfox".into(),
                name: "Songfox AB".into(),
                country: "SE".into(),
                vat_number: None,
                business_tier: "small".into(),
                contacts: vec![],
            },
        )
        .await?;
        let model = domain::licensing::ModelVersion {
            id: "sf-1".into(),
            licensee: "songfox".into(),
            name: "Songfox Music".into(),
            version: "1".into(),
            base_models: vec![],
            trained_on: None,
            placed_on_eu_market: None,
            training_summary_url: None,
        };
        engine::licensing::licensees::put_model_version(s, crate::staff(), model).await?;
        let archive = engine::licensing::Archive::new(dir.join("archive"));
        let started = Instant::now();
        let submission = Submission {
            licensee: &crate::id("songfox"),
            model_version: "sf-1",
            files: vec![FileSource::on_disk(manifest)],
            declared: engine::disclosure::DeclaredTotals { items: None, milli_hours: Some(seconds * 1000 / 3600) },
            received_by: "bench",
            now,
            max_bytes: MAX_FILE_BYTES,
            progress: None,
            replace: false,
        };
        let received = intake::receive(s, crate::staff(), &archive, submission).await?;
        let receive = started.elapsed().as_secs_f64();
        // When each phase of matching began (loading the repertoire, matching and writing).
        let phases: std::sync::Arc<std::sync::Mutex<Vec<(&'static str, f64)>>> = Default::default();
        let seen = phases.clone();
        let progress: engine::disclosure::Progress = std::sync::Arc::new(move |phase, _, _| {
            let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
            if seen.last().is_none_or(|(last, _)| *last != phase) {
                seen.push((phase, started.elapsed().as_secs_f64()));
            }
        });
        let run = MatchRun { progress: Some(progress), ..MatchRun::new(&archive, now) };
        let set = run::match_disclosure(s, crate::staff(), received.disclosure(), &run).await?;
        let matched = started.elapsed().as_secs_f64() - receive;
        let phases = phases.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut from = receive;
        for (n, (phase, at)) in phases.iter().enumerate() {
            let until = phases.get(n + 1).map_or(receive + matched, |(_, next)| *next);
            eprintln!("  {phase}: {:.1} s (from {:.1} s)", until - at.max(from), at);
            from = until;
        }
        let assessment =
            engine::disclosure::assess::assess(s, crate::staff(), &crate::id(&received.disclosure().id), "bench", now)
                .await?;
        let total = started.elapsed().as_secs_f64();
        eprintln!(
            "  {} items: {} matched, {} ambiguous, {} unmatched; {} works; verdict {}",
            set.counts.items,
            set.counts.matched,
            set.counts.ambiguous,
            set.counts.unmatched,
            set.counts.works,
            assessment.verdict
        );
        print!("{receive} {matched} {} {total} ", total - receive - matched);
        Ok::<(), anyhow::Error>(())
    })
}
