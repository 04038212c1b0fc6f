//! The commands that need more than a line of glue: import, work display, consent and origin.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};
use domain::{Consent, Origin, Stage};
use engine::import::{AckSink, ImportOptions, ImportReport};
use engine::registry::{self, ConsentRequest};
use engine::{ImportError, Store};
use indicatif::{ProgressBar, ProgressStyle};

use crate::print;

#[derive(Debug, Args)]
pub struct ImportCwrArgs {
    /// CWR files to import (NWR/REV/WRK submissions, ISW notifications, ACKs from other societies).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Read and report everything, store nothing, write no acknowledgement.
    #[arg(long)]
    pub dry_run: bool,
    /// Report every deviation from the specification line by line.
    #[arg(long)]
    pub strict: bool,
    /// Where acknowledgements are written.
    #[arg(long, default_value = "acks")]
    pub ack_dir: PathBuf,
    /// Diagnostics listed per file (all are counted).
    #[arg(long, default_value_t = 40)]
    pub show: usize,
    /// Print the full reports as JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// Files above this size get a progress bar.
const PROGRESS_BAR_BYTES: u64 = 4 << 20;

/// Imports one CWR input, with a progress bar for large ones, writing its ACK into `ack_dir`.
/// A progress bar in bytes for a file of `size` bytes; hidden for small files.
pub fn byte_bar(size: u64, name: &str) -> ProgressBar {
    if size < PROGRESS_BAR_BYTES {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(name.to_owned());
    bar
}

pub async fn import_one(
    store: &Arc<dyn Store>,
    input: impl BufRead,
    name: &str,
    size: u64,
    options: ImportOptions,
    ack_dir: &Path,
) -> Result<ImportReport, ImportError> {
    let bar = byte_bar(size, name);
    let dir = ack_dir.to_owned();
    // The acknowledgement is written under a partial name and renamed into place once the import has ended:
    // a killed import never leaves a truncated ACK under the name a submitter would take as final.
    let sink: AckSink<'_> = Box::new(move |ack_name: &str| {
        std::fs::create_dir_all(&dir)?;
        let file = File::create(partial_ack(&dir, ack_name))?;
        Ok(Box::new(BufWriter::new(file)) as Box<dyn Write + Send>)
    });
    let progress = |bytes: u64| bar.set_position(bytes);
    let report = engine::import_cwr(store, crate::actor(), input, name, options, sink, &progress).await;
    bar.finish_and_clear();
    if let Some(ack) = report.as_ref().ok().and_then(|r| r.ack_file_name.as_deref()) {
        std::fs::rename(partial_ack(ack_dir, ack), ack_dir.join(ack))?;
    }
    report
}

/// Where an acknowledgement is written until its import has ended.
fn partial_ack(dir: &Path, ack_name: &str) -> PathBuf {
    dir.join(format!(".{ack_name}.partial"))
}

pub async fn import_cwr(store: &Arc<dyn Store>, args: ImportCwrArgs, operator: &str, now: DateTime<Utc>) -> Result<()> {
    let mut failures = 0;
    let mut reports = Vec::new();
    for path in &args.files {
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let options = ImportOptions { dry_run: args.dry_run, strict: args.strict, ..ImportOptions::new(now, operator) };
        match import_one(store, BufReader::with_capacity(1 << 18, file), &name, size, options, &args.ack_dir).await {
            Ok(report) => {
                if !args.json {
                    print::import_report(&report, args.show, &args.ack_dir);
                }
                reports.push(report);
            }
            Err(ImportError::NotCwr(diagnostic)) => {
                failures += 1;
                eprintln!("{}: rejected whole (ER): {}", path.display(), diagnostic);
            }
            Err(e) => return Err(e).with_context(|| format!("importing {}", path.display())),
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else if reports.len() > 1 {
        print::import_totals(&reports);
    }
    if failures > 0 {
        bail!("{failures} of {} files could not be read as CWR", args.files.len());
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct WorkShowArgs {
    /// The society's work code (W000000001) or the ISWC.
    pub code_or_iswc: String,
    /// The day AI consent is evaluated for (a model's training date); today by default.
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    #[arg(long)]
    pub json: bool,
}

pub async fn work_show(store: &dyn Store, args: WorkShowArgs, now: DateTime<Utc>) -> Result<()> {
    let detail = registry::work(store, crate::actor(), &args.code_or_iswc).await?;
    let as_of = args.as_of.unwrap_or(now.date_naive());
    let consent = registry::licensed_shares(store, &detail, as_of).await?;
    let recordings = registry::work_recordings(store, crate::actor(), &detail.summary.code).await?;
    if args.json {
        let value =
            serde_json::json!({ "work": detail, "licensed_shares": consent, "recordings": recordings, "as_of": as_of });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print::work(&detail, &consent, &recordings, as_of);
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Record a party's AI consent for one or more stages, for all its works or one work.
    Set {
        /// The party: IPI name number or party key.
        #[arg(long)]
        party: String,
        /// Only the party's share of this work (code or ISWC).
        #[arg(long)]
        work: Option<String>,
        /// training, service, output or all (repeatable).
        #[arg(long = "stage", required = true)]
        stages: Vec<String>,
        /// included or reserved.
        #[arg(long)]
        consent: String,
        /// The first day the choice governs (models trained from then on); today by default.
        #[arg(long)]
        from: Option<NaiveDate>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Show the licensed share of a work per stage, or a party's consent choices.
    Show {
        #[arg(long, conflicts_with = "party")]
        work: Option<String>,
        #[arg(long)]
        party: Option<String>,
        #[arg(long)]
        as_of: Option<NaiveDate>,
    },
}

fn parse_stages(texts: &[String]) -> Result<Vec<Stage>> {
    let mut stages = Vec::new();
    for text in texts {
        if text.eq_ignore_ascii_case("all") {
            stages.extend(Stage::ALL);
        } else {
            stages.push(
                Stage::parse(text)
                    .with_context(|| format!("unknown stage {text:?}: use training, service, output or all"))?,
            );
        }
    }
    stages.sort();
    stages.dedup();
    Ok(stages)
}

pub async fn consent(store: &dyn Store, command: ConsentCommand, operator: &str, now: DateTime<Utc>) -> Result<()> {
    match command {
        ConsentCommand::Set { party, work, stages, consent, from, note } => {
            let consent = Consent::parse(&consent)
                .with_context(|| format!("unknown consent {consent:?}: use included or reserved"))?;
            let request = ConsentRequest {
                party,
                work,
                stages: parse_stages(&stages)?,
                consent,
                effective_from: from.unwrap_or(now.date_naive()),
                note,
            };
            let recorded = registry::set_consent(store, crate::actor(), &request, operator, now).await?;
            for c in recorded {
                println!(
                    "{} {} for {}{} from {} (recorded by {operator})",
                    c.stage.as_str(),
                    c.consent.as_str(),
                    c.party,
                    c.work_code.map(|w| format!(" on {w}")).unwrap_or_default(),
                    c.effective_from
                );
            }
            Ok(())
        }
        ConsentCommand::Show { work: Some(work), as_of, .. } => {
            let detail = registry::work(store, crate::actor(), &work).await?;
            let as_of = as_of.unwrap_or(now.date_naive());
            print::licensed_shares(&registry::licensed_shares(store, &detail, as_of).await?, as_of);
            Ok(())
        }
        ConsentCommand::Show { party: Some(party), .. } => {
            let detail = registry::party(store, crate::actor(), &party).await?;
            print::consent_choices(&detail.consent);
            Ok(())
        }
        ConsentCommand::Show { .. } => bail!("say which: --work CODE or --party IPI"),
    }
}

#[derive(Debug, Subcommand)]
pub enum OriginCommand {
    /// Set a work's origin: human, ai-assisted, fully-ai or unknown. Fully AI-generated works stay on
    /// record but are never paid.
    Set {
        work: String,
        origin: String,
        #[arg(long, default_value = "")]
        note: String,
    },
}

pub async fn origin(store: &dyn Store, command: OriginCommand, operator: &str, now: DateTime<Utc>) -> Result<()> {
    let OriginCommand::Set { work, origin, note } = command;
    let origin = Origin::parse(&origin)
        .with_context(|| format!("unknown origin {origin:?}: use human, ai-assisted, fully-ai or unknown"))?;
    let code = registry::set_origin(store, crate::actor(), &work, origin, operator, now, &note).await?;
    let payable = if origin.is_distributable() { "distributable" } else { "kept on record, never distributed" };
    println!("{code}: origin {} ({payable})", origin.as_str());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CWR: &[u8] = include_bytes!("../../formats/tests/fixtures/cwr/weso__nwrexample2.V21");

    /// A fresh SQLite store in a folder of its own, with the society set up.
    async fn initialised() -> (tempfile::TempDir, Arc<dyn Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(store_sqlite::open(&dir.path().join("t.db"), true).await.unwrap());
        engine::registry::initialise(store.as_ref(), crate::actor(), domain::SocietyCode::STIM, None).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn the_acknowledgement_appears_under_its_name_only_once_the_import_has_ended() {
        let (dir, store) = initialised().await;
        let acks = dir.path().join("acks");
        let options = ImportOptions::new(chrono::Utc::now(), "test");
        let report = import_one(&store, CWR, "CW260001WSO_079.V21", 0, options, &acks).await.unwrap();
        let ack = report.ack_file_name.expect("a submission is acknowledged");
        let names: Vec<String> =
            std::fs::read_dir(&acks).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names, std::slice::from_ref(&ack), "no partial file is left beside it");
        assert!(std::fs::read_to_string(acks.join(ack)).unwrap().starts_with("HDR"));
    }

    /// A reader that fails after `left` bytes, as a dropped connection or a bad disk would.
    struct Failing<'a> {
        bytes: &'a [u8],
        left: usize,
    }

    impl std::io::Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.left == 0 {
                return Err(std::io::Error::other("the disk failed"));
            }
            let n = buf.len().min(self.left).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            self.left -= n;
            Ok(n)
        }
    }

    #[tokio::test]
    async fn an_import_that_stops_leaves_no_acknowledgement_under_its_name() {
        let (dir, store) = initialised().await;
        let acks = dir.path().join("acks");
        let input = BufReader::with_capacity(64, Failing { bytes: CWR, left: CWR.len() * 2 / 3 });
        let options = ImportOptions::new(chrono::Utc::now(), "test");
        assert!(import_one(&store, input, "CW260001WSO_079.V21", 0, options, &acks).await.is_err());
        let names: Vec<String> =
            std::fs::read_dir(&acks).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(names.iter().all(|n| n.ends_with(".partial")), "{names:?}");
    }
}
