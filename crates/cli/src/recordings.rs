//! `tantiem import ern` and `tantiem recordings show|search|link|origin`: recordings from DDEX ERN merged
//! with CWR REC records, and their links to works.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::Subcommand;
use domain::{Iswc, Origin};
use engine::Store;
use engine::recordings::{self, ErnImport, ErnOutcome, RecordingView};

#[derive(Debug, Subcommand)]
pub enum RecordingsCommand {
    /// A recording by ISRC: each field with its source, its works, releases and history.
    Show {
        isrc: String,
        #[arg(long)]
        json: bool,
    },
    /// Recordings whose title or artist contains TEXT (case and diacritics ignored).
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Link a recording to the work it records.
    Link { isrc: String, iswc: String },
    /// Record a recording's AI involvement: human, ai-assisted, fully-ai or unknown.
    Origin { isrc: String, origin: String },
}

pub async fn import_ern(store: &dyn Store, files: &[PathBuf], now: DateTime<Utc>) -> Result<()> {
    let mut failed = 0;
    for path in files {
        let too_big = std::fs::metadata(path).map(|m| m.len() > formats::ern::MAX_ERN_BYTES as u64).unwrap_or(false);
        let bytes = match std::fs::read(path) {
            Ok(_) if too_big => {
                failed += 1;
                eprintln!(
                    "{}: larger than {} MiB: is it an ERN message?",
                    path.display(),
                    formats::ern::MAX_ERN_BYTES >> 20
                );
                continue;
            }
            Ok(b) => b,
            Err(e) => {
                failed += 1;
                eprintln!("{}: cannot read: {e}", path.display());
                continue;
            }
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match recordings::import_ern(store, crate::actor(), &bytes, &name, now).await {
            Ok(report) => print_import(&report),
            Err(e) => {
                failed += 1;
                eprintln!("{}: {e}", path.display());
            }
        }
    }
    if failed > 0 {
        bail!("{failed} file(s) could not be read; nothing of them was stored");
    }
    Ok(())
}

fn print_import(report: &ErnImport) {
    let Some(m) = &report.message else { return };
    let what = match report.outcome {
        ErnOutcome::Applied => "imported",
        ErnOutcome::TestMessage => "a test message: checked, nothing changed",
        ErnOutcome::AlreadyImported => "imported before: nothing changed",
    };
    println!(
        "{}: ERN {:?} {:?} {} from {} ({}) {what}",
        report.file_name, m.version, m.kind, m.message_id, m.sender, m.created
    );
    let c = &report.counts;
    if report.outcome == ErnOutcome::Applied {
        println!(
            "  recordings: {} new, {} updated, {} ignored (older), {} withdrawn; releases: {} new, {} updated, {} ignored, {} withdrawn; {} work links",
            c.recordings_new,
            c.recordings_updated,
            c.recordings_ignored,
            c.recordings_withdrawn,
            c.releases_new,
            c.releases_updated,
            c.releases_ignored,
            c.releases_withdrawn,
            c.links
        );
    }
    for n in &report.notices {
        println!("  {n}");
    }
    for d in &report.diagnostics {
        println!("  {d}");
    }
}

pub async fn command(store: &dyn Store, command: RecordingsCommand, operator: &str, now: DateTime<Utc>) -> Result<()> {
    match command {
        RecordingsCommand::Show { isrc, json } => {
            let view = recordings::recording_view(store, crate::actor(), &isrc).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print_view(&view);
            }
        }
        RecordingsCommand::Search { text, limit } => {
            for r in recordings::search(store, crate::actor(), &text, limit).await? {
                let title = r.title.as_ref().map_or("", |t| t.value.as_str());
                let artists = r.display_artists.as_ref().map(|a| a.value.join(", ")).unwrap_or_default();
                println!("{:<16} {title} — {artists}{}", r.key, if r.withdrawn { " (withdrawn)" } else { "" });
            }
        }
        RecordingsCommand::Link { isrc, iswc } => {
            let iswc = Iswc::parse(&iswc).with_context(|| format!("{iswc:?} is not a valid ISWC"))?;
            let (link, added) = recordings::link(store, crate::actor(), &isrc, &iswc, operator).await?;
            if added {
                println!("Recording {} is linked to work {}.", link.recording_key, link.work_code);
            } else {
                println!("Recording {} was already linked to work {}.", link.recording_key, link.work_code);
            }
        }
        RecordingsCommand::Origin { isrc, origin } => {
            let origin = Origin::parse(&origin)
                .with_context(|| format!("origin {origin:?}: use human, ai-assisted, fully-ai or unknown"))?;
            let r = recordings::set_origin(store, crate::actor(), &isrc, origin, operator, now).await?;
            println!("Recording {} is now {}.", r.key, r.origin.value.as_str());
        }
    }
    Ok(())
}

fn print_view(v: &RecordingView) {
    let r = &v.recording;
    println!("Recording {}{}", r.key, if r.withdrawn { " (withdrawn)" } else { "" });
    let field = |name: &str, value: Option<(String, &str)>| {
        if let Some((value, source)) = value {
            println!("  {name:<16} {value}  [{source}]");
        }
    };
    field("title", r.title.as_ref().map(|t| (t.value.clone(), t.source.as_str())));
    field("subtitle", r.subtitle.as_ref().map(|t| (t.value.clone(), t.source.as_str())));
    field("artists", r.display_artists.as_ref().map(|t| (t.value.join(", "), t.source.as_str())));
    field(
        "duration",
        r.duration_seconds.as_ref().map(|t| (format!("{}:{:02}", t.value / 60, t.value % 60), t.source.as_str())),
    );
    field("label", r.label.as_ref().map(|t| (t.value.clone(), t.source.as_str())));
    field("P-line", r.p_line.as_ref().map(|t| (t.value.clone(), t.source.as_str())));
    field("AI involvement", Some((r.origin.value.as_str().to_owned(), r.origin.source.as_str())));
    if let Some(c) = &r.contributors {
        for person in &c.value {
            println!(
                "  contributor      {} ({}){}  [{}]",
                person.name,
                person.roles.join(", "),
                if person.indirect { ", of the work" } else { "" },
                c.source
            );
        }
    }
    for l in &v.links {
        println!("  work             {}  [{}]", l.work_code, l.source);
    }
    for rel in &v.releases {
        println!("  release          {} {:?}{}", rel.key, rel.title, if rel.withdrawn { " (withdrawn)" } else { "" });
    }
    for h in &v.history {
        println!(
            "  revision {:<7} {} {}  [{}]",
            h.revision,
            h.changed_at.format("%Y-%m-%d %H:%M"),
            h.summary,
            h.source
        );
    }
}
