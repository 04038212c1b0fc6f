//! `bench matching`: manifest → repertoire matching against the peer, Splink 5 (DuckDB backend) run with
//! its fixed configuration (`../shared/peers/splink_link.py`), on the same two CSV files written by
//! testkit: a repertoire (`rec_id,isrc,title,artist,duration_s`) and a manifest damaged at the matching
//! issue's rates (`row_id,isrc,title,artist,duration_s,true_rec_id`). Each system runs in its own process
//! and writes its predictions (`row_id,rec_id,score`); both are scored here against the same truth, so the
//! figures mean the same thing. Wall time is the whole run (reading, indexing or training, matching,
//! writing); peak memory is the process's maximum resident set.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use engine::disclosure::run::match_manifest;
use formats::disclosure::{ManifestFormat, read_manifest};
use matching::{Matcher, Outcome, RecordingEntry, RepertoireBuilder, Thresholds};
use testkit::catalogue::{Damage, Quality, manifest, universe, write_manifest_csv, write_repertoire_csv};

const SEED: u64 = 2026;
/// Repertoire lines normalised per parallel batch.
const BATCH: usize = 50_000;

fn score_of(outcome: &Outcome) -> u16 {
    match outcome {
        Outcome::Matched(m) => m.score,
        _ => 0,
    }
}

struct Options {
    recordings: usize,
    items: usize,
    dir: PathBuf,
    splink_python: Option<PathBuf>,
    splink_script: PathBuf,
}

fn options(args: &[String]) -> Result<Options> {
    let mut o = Options {
        recordings: 100_000,
        items: 100_000,
        dir: PathBuf::new(),
        splink_python: None,
        splink_script: PathBuf::from("../shared/peers/splink_link.py"),
    };
    let mut dir = None;
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).with_context(|| format!("{} needs a value", args[i]))?;
        match args[i].as_str() {
            "--recordings" => o.recordings = value.parse()?,
            "--items" => o.items = value.parse()?,
            "--dir" => dir = Some(PathBuf::from(value)),
            "--splink" => o.splink_python = Some(PathBuf::from(value)),
            "--splink-script" => o.splink_script = PathBuf::from(value),
            other => bail!("unknown option {other}"),
        }
        i += 2;
    }
    o.dir = dir.unwrap_or_else(|| PathBuf::from(format!("target/bench-matching-{}x{}", o.recordings, o.items)));
    Ok(o)
}

/// Generates the two files (kept in the folder, so a second run measures the same input).
fn generate(o: &Options) -> Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(&o.dir)?;
    let repertoire = o.dir.join("repertoire.csv");
    let manifest_file = o.dir.join("manifest.csv");
    if repertoire.exists() && manifest_file.exists() {
        return Ok((repertoire, manifest_file));
    }
    let started = Instant::now();
    // As many recordings outside the repertoire as 60% of it: the manifest's 30% from outside are drawn
    // from those, which share artists and songs with the repertoire.
    let u = universe(SEED, o.recordings, o.recordings * 6 / 10);
    let items = manifest(SEED, &u, o.items, &Damage::ISSUE);
    write_repertoire_csv(&mut BufWriter::new(std::fs::File::create(&repertoire)?), &u.repertoire)?;
    write_manifest_csv(&mut BufWriter::new(std::fs::File::create(&manifest_file)?), &items)?;
    eprintln!(
        "generated {} recordings and {} manifest items in {:.1} s ({})",
        o.recordings,
        o.items,
        started.elapsed().as_secs_f64(),
        o.dir.display()
    );
    Ok((repertoire, manifest_file))
}

/// The truth column of a manifest file, by row id.
fn truth(manifest_file: &Path) -> Result<Vec<(String, Option<String>)>> {
    let mut reader = csv::Reader::from_path(manifest_file)?;
    let mut out = Vec::new();
    for record in reader.records() {
        let r = record?;
        let t = r.get(5).unwrap_or("");
        out.push((r.get(0).unwrap_or("").to_owned(), (!t.is_empty()).then(|| t.to_owned())));
    }
    Ok(out)
}

/// Scores a predictions file (`row_id,rec_id,...`) against the truth.
fn score(predictions: &Path, truth: &[(String, Option<String>)]) -> Result<Quality> {
    let mut predicted = std::collections::HashMap::new();
    let mut reader = csv::Reader::from_path(predictions)?;
    for record in reader.records() {
        let r = record?;
        let rec = r.get(1).unwrap_or("");
        if !rec.is_empty() {
            predicted.insert(r.get(0).unwrap_or("").to_owned(), rec.to_owned());
        }
    }
    let mut q = Quality::default();
    for (row, t) in truth {
        q.add(t.as_deref(), predicted.get(row).map(String::as_str));
    }
    Ok(q)
}

struct Run {
    system: &'static str,
    seconds: f64,
    peak_mib: f64,
    quality: Quality,
}

pub fn run(me: &Path, args: &[String]) -> Result<()> {
    let o = options(args)?;
    let (repertoire, manifest_file) = generate(&o)?;
    let truth = truth(&manifest_file)?;
    let mut runs = Vec::new();

    let predictions = o.dir.join("tantiem-predictions.csv");
    let started = Instant::now();
    let output = Command::new(me)
        .arg("phase")
        .arg("match-files")
        .arg(&repertoire)
        .arg(&manifest_file)
        .arg(&predictions)
        .output()?;
    if !output.status.success() {
        bail!("Tantiem's run failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let seconds = started.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&output.stdout);
    let peak_mib: f64 = text.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0.0);
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    runs.push(Run { system: "Tantiem", seconds, peak_mib, quality: score(&predictions, &truth)? });

    if let Some(python) = &o.splink_python {
        let predictions = o.dir.join("splink-predictions.csv");
        let started = Instant::now();
        let output = Command::new("/usr/bin/time")
            .arg("-v")
            .arg(python)
            .arg(&o.splink_script)
            .arg(&repertoire)
            .arg(&manifest_file)
            .arg(&predictions)
            .output()
            .context("running Splink under /usr/bin/time")?;
        let seconds = started.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            bail!("Splink failed: {stderr}");
        }
        eprint!("{}", String::from_utf8_lossy(&output.stdout));
        let peak_kib: f64 = stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0);
        runs.push(Run {
            system: "Splink 5",
            seconds,
            peak_mib: peak_kib / 1024.0,
            quality: score(&predictions, &truth)?,
        });
    }

    println!();
    println!("{} recordings × {} manifest items (seed {SEED}, the issue's damage rates)", o.recordings, o.items);
    println!();
    println!("| system | wall | peak memory | precision | recall | F1 |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in &runs {
        println!(
            "| {} | {:.1} s | {:.0} MiB | {:.4} | {:.4} | {:.4} |",
            r.system,
            r.seconds,
            r.peak_mib,
            r.quality.precision(),
            r.quality.recall(),
            r.quality.f1()
        );
    }
    Ok(())
}

/// The child process: reads the repertoire in batches, indexes it, streams the manifest through the
/// matcher batch by batch and writes the predictions.
pub fn match_files(repertoire: &Path, manifest_file: &Path, predictions: &Path) -> Result<()> {
    let started = Instant::now();
    let mut builder = RepertoireBuilder::new();
    let mut reader = csv::Reader::from_path(repertoire)?;
    let mut batch = Vec::with_capacity(BATCH);
    for record in reader.records() {
        let r = record?;
        let field = |i: usize| r.get(i).unwrap_or("").to_owned();
        batch.push(RecordingEntry {
            key: field(0),
            isrc: Some(field(1)).filter(|i| !i.is_empty()),
            title: field(2),
            version: None,
            artists: vec![field(3)],
            duration_s: r.get(4).and_then(|d| d.parse().ok()),
            works: Vec::new(),
        });
        if batch.len() == BATCH {
            builder.add_recordings(&batch);
            batch.clear();
        }
    }
    builder.add_recordings(&batch);
    let read_seconds = started.elapsed().as_secs_f64();
    let index = builder.build();
    eprintln!(
        "  Tantiem: repertoire read and normalised in {read_seconds:.1} s, indexed in {:.1} s ({} recordings, {} artists, {:.0} MiB)",
        started.elapsed().as_secs_f64() - read_seconds,
        index.size().recordings,
        index.size().artists,
        index.size().bytes as f64 / (1 << 20) as f64
    );
    let matcher = Matcher::new(&index, Thresholds::default());
    let mut out = BufWriter::new(std::fs::File::create(predictions)?);
    writeln!(out, "row_id,rec_id,score")?;
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(manifest_file)?);
    let outcome =
        match_manifest(|sink| read_manifest(ManifestFormat::Csv, file, sink), &matcher, &mut |items, outcomes| {
            for (item, (outcome, _)) in items.iter().zip(&outcomes) {
                let id = item.item_id.as_deref().unwrap_or("");
                match outcome.recording() {
                    Some(rec) => writeln!(out, "{id},{rec},{}", score_of(outcome))?,
                    None => writeln!(out, "{id},,")?,
                }
            }
            Ok::<(), std::io::Error>(())
        })?;
    if !outcome.is_ok() {
        bail!("the manifest has errors: {:?}", outcome.diagnostics.first());
    }
    eprintln!("  Tantiem: manifest read and matched in {:.1} s", started.elapsed().as_secs_f64() - read_seconds);
    out.flush()?;
    Ok(())
}
