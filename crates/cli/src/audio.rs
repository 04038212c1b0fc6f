//! `tantiem audio register|register-batch|identify`: recordings' audio fingerprints, and recognising audio
//! against them.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::Subcommand;
use domain::Isrc;
use engine::Store;
use engine::recordings;

#[derive(Debug, Subcommand)]
pub enum AudioCommand {
    /// Register a recording's audio (WAV, FLAC, MP3, Ogg Vorbis): its fingerprint is stored.
    Register {
        #[arg(long)]
        isrc: String,
        file: PathBuf,
    },
    /// Register many: a CSV of `isrc,file` lines (files relative to --folder).
    RegisterBatch {
        #[arg(long)]
        folder: PathBuf,
        #[arg(long)]
        csv: PathBuf,
    },
    /// Which registered recordings this audio is, or contains, and where.
    Identify {
        file: PathBuf,
        #[arg(long, default_value_t = 5)]
        top: usize,
        /// Candidates below this confidence (0 to 1: the share of aligned fingerprint items that agree) are
        /// not shown. 0.94 is above every unregistered excerpt of the benchmark (crates/bench/README.md).
        #[arg(long, default_value_t = 0.94)]
        min_confidence: f64,
        #[arg(long)]
        json: bool,
    },
}

fn fingerprint_of(path: &Path) -> Result<(Vec<u32>, u64)> {
    let audio = fingerprint::decode_file(path).with_context(|| format!("{}", path.display()))?;
    let print = fingerprint::chromaprint(&audio)?;
    Ok((print, (audio.seconds() * 1000.0) as u64))
}

fn isrc(text: &str) -> Result<Isrc> {
    Isrc::parse(text).with_context(|| format!("{text:?} is not a valid ISRC"))
}

pub async fn command(store: &dyn Store, command: AudioCommand, operator: &str, now: DateTime<Utc>) -> Result<()> {
    match command {
        AudioCommand::Register { isrc: code, file } => {
            let isrc = isrc(&code)?;
            let (print, ms) = fingerprint_of(&file)?;
            recordings::register_audio(store, &isrc, &print, ms, operator, now).await?;
            println!(
                "Registered {} ({:.1} s, {} fingerprint items) for {isrc}.",
                file.display(),
                ms as f64 / 1000.0,
                print.len()
            );
        }
        AudioCommand::RegisterBatch { folder, csv } => {
            let text = std::fs::read_to_string(&csv).with_context(|| format!("cannot read {}", csv.display()))?;
            let (mut done, mut failed) = (0, 0);
            for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with("isrc,")) {
                let Some((code, name)) = line.split_once(',') else {
                    eprintln!("{}:{}: write isrc,file", csv.display(), n + 1);
                    failed += 1;
                    continue;
                };
                let outcome = async {
                    let isrc = isrc(code.trim())?;
                    let (print, ms) = fingerprint_of(&folder.join(name.trim()))?;
                    recordings::register_audio(store, &isrc, &print, ms, operator, now).await?;
                    Ok::<_, anyhow::Error>(())
                }
                .await;
                match outcome {
                    Ok(()) => done += 1,
                    Err(e) => {
                        failed += 1;
                        eprintln!("{}:{}: {e:#}", csv.display(), n + 1);
                    }
                }
            }
            println!("Registered {done} recordings' audio; {failed} lines failed.");
            if failed > 0 {
                bail!("{failed} lines could not be registered");
            }
        }
        AudioCommand::Identify { file, top, min_confidence, json } => {
            let audio = fingerprint::decode_file(&file).with_context(|| format!("{}", file.display()))?;
            let prints = fingerprint::query_fingerprints(&audio)?;
            let found = recordings::identify(store, &prints, top, min_confidence).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&found)?);
            } else if found.is_empty() {
                println!("No registered recording found in {} (confidence ≥ {min_confidence}).", file.display());
            } else {
                for c in found {
                    println!(
                        "{:<14} {:<40} confidence {:.2}: query {:.1} s ↔ recording {:.1} s, {:.1} s matched; {}",
                        c.key,
                        c.title.unwrap_or_default(),
                        c.confidence,
                        c.query_offset_seconds,
                        c.reference_offset_seconds,
                        c.matched_seconds,
                        c.explanation
                    );
                }
            }
        }
    }
    Ok(())
}
