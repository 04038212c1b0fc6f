//! `tantiem audio register|register-batch|identify`: recordings' audio fingerprints, and recognising audio
//! against them.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::Subcommand;
use domain::Isrc;
use engine::Store;
use engine::recordings::{self, IndexSource};
use fingerprint::recogniser::{Prints, Query, Thresholds};

#[derive(Debug, Subcommand)]
pub enum AudioCommand {
    /// Register a recording's audio (WAV, FLAC, MP3, Ogg Vorbis): its two fingerprints are stored.
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
        /// Chromaprint matches below this confidence (the share of aligned fingerprint items that agree)
        /// are not shown. The default is fixed on unregistered music by the benchmark (crates/bench/README.md).
        #[arg(long, default_value_t = Thresholds::default().chromaprint)]
        min_confidence: f64,
        /// Spectral-peak matches below this confidence (the share of the query's peak moments, over its best
        /// ten seconds, whose triplets agree with the recording in time and pitch) are not shown. Fixed the
        /// same way.
        #[arg(long, default_value_t = Thresholds::default().landmarks)]
        min_landmarks: f64,
        /// The index file (default: beside the SQLite file, `<file>.audio-index`; `tantiem.audio-index` for
        /// PostgreSQL). Rebuilt from the store when missing or stale.
        #[arg(long)]
        index: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

/// Both fingerprints of an audio file and its length in milliseconds.
fn fingerprint_of(path: &Path) -> Result<(Prints, u64)> {
    let audio = fingerprint::decode_file(path).with_context(|| format!("{}", path.display()))?;
    let prints = Prints::of(&audio).with_context(|| format!("{}", path.display()))?;
    Ok((prints, (audio.seconds() * 1000.0) as u64))
}

fn isrc(text: &str) -> Result<Isrc> {
    Isrc::parse(text).with_context(|| format!("{text:?} is not a valid ISRC"))
}

pub async fn command(
    store: &dyn Store,
    command: AudioCommand,
    database_url: &str,
    operator: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    match command {
        AudioCommand::Register { isrc: code, file } => {
            let isrc = isrc(&code)?;
            let (prints, ms) = fingerprint_of(&file)?;
            let (items, peaks) = (prints.chromaprint.len(), prints.peaks.len());
            let registered =
                recordings::register_audio(store, crate::actor(), &isrc, &prints, ms, operator, now).await?;
            println!(
                "Registered {} ({:.1} s: {items} Chromaprint items, {peaks} spectral peaks) for {isrc}.",
                file.display(),
                ms as f64 / 1000.0,
            );
            for notice in registered.notices(isrc.as_str()) {
                println!("Note: {notice}.");
            }
        }
        AudioCommand::RegisterBatch { folder, csv } => {
            let text = std::fs::read_to_string(&csv).with_context(|| format!("cannot read {}", csv.display()))?;
            let (mut done, mut failed, mut noted) = (0, 0, 0);
            let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
            for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with("isrc,")) {
                let Some((code, name)) = line.split_once(',') else {
                    eprintln!("{}:{}: write isrc,file", csv.display(), n + 1);
                    failed += 1;
                    continue;
                };
                let outcome = async {
                    let isrc = isrc(code.trim())?;
                    let (prints, ms) = fingerprint_of(&folder.join(name.trim()))?;
                    let registered =
                        recordings::register_audio(store, crate::actor(), &isrc, &prints, ms, operator, now).await?;
                    Ok::<_, anyhow::Error>((isrc, registered))
                }
                .await;
                match outcome {
                    Ok((isrc, registered)) => {
                        done += 1;
                        if let Some(earlier) = seen.insert(isrc.as_str().to_owned(), n + 1) {
                            noted += 1;
                            eprintln!(
                                "{}:{}: {isrc} is also on line {earlier}: this line's audio replaced that line's",
                                csv.display(),
                                n + 1
                            );
                        } else {
                            for notice in registered.notices(isrc.as_str()) {
                                noted += 1;
                                eprintln!("{}:{}: {notice}", csv.display(), n + 1);
                            }
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("{}:{}: {e:#}", csv.display(), n + 1);
                    }
                }
            }
            println!(
                "Registered the audio of {} recordings from {done} lines; {failed} lines failed; {noted} notes to read above.",
                seen.len()
            );
            if failed > 0 {
                bail!("{failed} lines could not be registered");
            }
        }
        AudioCommand::Identify { file, top, min_confidence, min_landmarks, index, json } => {
            let audio = fingerprint::decode_file(&file).with_context(|| format!("{}", file.display()))?;
            let query = Query::of(&audio).with_context(|| format!("{}", file.display()))?;
            let index = index.unwrap_or_else(|| crate::audio_index_of(database_url));
            let (recogniser, source) = recordings::recogniser(store, crate::actor(), Some(&index)).await?;
            match source {
                IndexSource::Built if !json => {
                    eprintln!("Built the audio index over {} recordings into {}.", recogniser.len(), index.display())
                }
                IndexSource::Unsaved(why) => eprintln!(
                    "warning: the audio index was built but not saved ({why}); the next identification builds it again. Give it a writable place with --index FILE."
                ),
                _ => {}
            }
            let thresholds = Thresholds { chromaprint: min_confidence, landmarks: min_landmarks };
            let found = recordings::identify(store, crate::actor(), &recogniser, &query, top, thresholds).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&found)?);
            } else if found.is_empty() {
                println!(
                    "No registered recording found in {} (Chromaprint confidence ≥ {min_confidence}, spectral peaks ≥ {min_landmarks}).",
                    file.display()
                );
            } else {
                for recordings::Identified { found: m, title } in found {
                    println!(
                        "{:<14} {:<40} {} confidence {:.3} ({:.1}× its threshold): query {:.1} s ↔ recording {:.1} s, {:.1} s matched; {}",
                        m.key,
                        title.unwrap_or_default(),
                        m.method.as_str(),
                        m.confidence,
                        m.strength,
                        m.query_offset_seconds,
                        m.reference_offset_seconds,
                        m.matched_seconds,
                        m.explanation
                    );
                }
            }
        }
    }
    Ok(())
}
