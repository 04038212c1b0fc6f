//! `tantiem disclosure`: training disclosures submitted, shown, their matches listed and decided, assessed,
//! matched again; and what a rightsholder's works were matched in. Parsing and printing only; the engine
//! does the work.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::Subcommand;
use domain::ids::{DisclosureId, LicenseeId};
use engine::Store;
use engine::disclosure::decisions::{self, Resolution};
use engine::disclosure::intake::{self, FileSource, MAX_FILE_BYTES, Received, Submission};
use engine::disclosure::run::{self, MatchRun};
use engine::disclosure::{
    Assessment, DeclaredTotals, Disclosure, MatchCounts, MatchRow, MatchSet, MatchStatus, Progress, views,
};
use engine::licensing::Archive;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, Subcommand)]
pub enum DisclosureCommand {
    /// Submit a model version's disclosure: training manifests (CSV, JSON Lines, Parquet), an AI Act
    /// summary (JSON) and Croissant files, in any mix. Matches and assesses it.
    Submit {
        /// The model version the disclosure is about.
        #[arg(long)]
        model: String,
        /// The licensee (needed when two licensees have a model version of that id).
        #[arg(long)]
        licensee: Option<LicenseeId>,
        /// Items the licensee declares the training set had (otherwise the summary's declared totals).
        #[arg(long)]
        declared_items: Option<u64>,
        /// Hours of audio the licensee declares (a decimal, at most three decimals).
        #[arg(long)]
        declared_hours: Option<String>,
        /// This revision replaces the one in force although it lacks a kind of file that one had (a
        /// manifest, an AI Act summary); without it such a revision is refused.
        #[arg(long)]
        replace: bool,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Show a disclosure: its files, what it lists, how it matched, the assessment and the presumption.
    Show {
        /// The disclosure (`D000001`), or give --licensee and --model for the one in force.
        id: Option<DisclosureId>,
        #[arg(long)]
        licensee: Option<LicenseeId>,
        #[arg(long)]
        model: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List disclosures (of one licensee).
    List {
        #[arg(long)]
        licensee: Option<LicenseeId>,
    },
    /// List a disclosure's items as matched (by default all of them).
    Matches {
        id: DisclosureId,
        #[arg(long, conflicts_with_all = ["ambiguous", "matched"])]
        unmatched: bool,
        #[arg(long, conflicts_with = "matched")]
        ambiguous: bool,
        #[arg(long)]
        matched: bool,
        /// Start after this item number.
        #[arg(long, default_value_t = 0)]
        after: u64,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Decide an item (ambiguous, or wrongly matched): a recording, works alone, or none of the repertoire.
    /// The decision is kept for the licensee and survives re-matching.
    Resolve {
        id: DisclosureId,
        /// The item number shown by `disclosure matches`.
        item: u64,
        #[arg(long, conflicts_with_all = ["work", "none"])]
        recording: Option<String>,
        /// A work code or ISWC (repeatable).
        #[arg(long, conflicts_with = "none")]
        work: Vec<String>,
        #[arg(long)]
        none: bool,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Assess the disclosure again (after decisions or a change of the society's criteria): the verdict,
    /// unlicensed use, and the presumption part settled if it is now fully transparent.
    Assess {
        id: DisclosureId,
        #[arg(long)]
        json: bool,
    },
    /// Match a disclosure again against the repertoire as it stands (a new match set), and assess it.
    /// With --stale, every disclosure in force whose repertoire has changed since.
    Rematch {
        id: Option<DisclosureId>,
        #[arg(long, conflicts_with = "id")]
        stale: bool,
    },
    /// For a rightsholder (IPI name number or party key): the model versions whose disclosures matched
    /// their works, by work and method.
    Party {
        party: String,
        #[arg(long)]
        json: bool,
    },
}

/// What the disclosure commands need beyond the store.
pub struct Setting<'a> {
    pub archive: &'a Archive,
    /// The audio index file (for manifests with fingerprints).
    pub audio_index: PathBuf,
    pub operator: &'a str,
    pub now: DateTime<Utc>,
}

impl<'a> Setting<'a> {
    /// A match run in this setting, without progress.
    fn match_run(&self) -> MatchRun<'a> {
        MatchRun { audio_index: Some(self.audio_index.clone()), ..MatchRun::new(self.archive, self.now) }
    }
}

/// A progress bar that follows the engine's phases: bytes while archiving and reading, items while matching.
fn progress_bar() -> (ProgressBar, Progress) {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let shown = bar.clone();
    let progress: Progress = Arc::new(move |phase: &'static str, done: u64, total: u64| {
        shown.set_message(phase);
        if total > 0 {
            shown.set_length(total);
        } else if done > shown.length().unwrap_or(0) {
            shown.set_length(done);
        }
        shown.set_position(done);
    });
    (bar, progress)
}

async fn licensee_of(store: &dyn Store, licensee: Option<LicenseeId>, model: &str) -> Result<LicenseeId> {
    if let Some(l) = licensee {
        return Ok(l);
    }
    let mut owners = Vec::new();
    for l in engine::licensing::licensees::list(store, crate::actor()).await? {
        let id: LicenseeId = engine::store::stored_id(&l.id)?;
        let seen = engine::licensing::licensees::show(store, crate::actor(), &id).await?;
        if seen.model_versions.iter().any(|m| m.id == model) {
            owners.push(id);
        }
    }
    match owners.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("no licensee has a model version {model:?}: add it with `tantiem model add`"),
        _ => bail!(
            "model version {model:?} is {}'s: say whose with --licensee",
            owners.iter().map(LicenseeId::as_str).collect::<Vec<_>>().join(" and ")
        ),
    }
}

pub async fn command(store: &dyn Store, command: DisclosureCommand, cx: &Setting<'_>) -> Result<()> {
    match command {
        DisclosureCommand::Submit { model, licensee, declared_items, declared_hours, replace, files } => {
            let licensee = licensee_of(store, licensee, &model).await?;
            let named = files.iter().map(|p| FileSource::on_disk(p)).collect();
            let (bar, progress) = progress_bar();
            let submission = Submission {
                licensee: &licensee,
                model_version: &model,
                files: named,
                declared: DeclaredTotals {
                    items: declared_items,
                    milli_hours: declared_hours.as_deref().map(intake::milli_hours).transpose()?,
                },
                received_by: cx.operator,
                now: cx.now,
                max_bytes: MAX_FILE_BYTES,
                progress: Some(progress.clone()),
                replace,
            };
            let done =
                intake::submit(store, crate::actor(), cx.archive, submission, Some(cx.audio_index.clone())).await;
            bar.finish_and_clear();
            let (received, set, assessment) = done?;
            let d = received.disclosure().clone();
            match received {
                Received::New(_) => {
                    println!("Disclosure {} received: {licensee}, model {model} (revision {}).", d.id, d.revision)
                }
                Received::AlreadyReceived(_) => println!("Already received as disclosure {}: nothing changed.", d.id),
            }
            print_disclosure(&d, Some(&set), Some(&assessment), false);
        }
        DisclosureCommand::Show { id, licensee, model, json } => {
            let d = views::find(store, crate::actor(), id.as_ref(), licensee.as_ref(), model.as_deref()).await?;
            let view = views::show(store, crate::actor(), &engine::store::stored_id(&d.id)?, true).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print_disclosure(
                    &view.disclosure,
                    view.match_set.as_ref(),
                    view.assessment.as_ref(),
                    view.stale == Some(true),
                );
            }
        }
        DisclosureCommand::List { licensee } => {
            for d in views::list(store, crate::actor(), licensee.as_ref()).await? {
                let verdict = views::assessments(store, crate::actor(), &engine::store::stored_id(&d.id)?)
                    .await?
                    .pop()
                    .map_or("not assessed".to_owned(), |a| a.verdict.to_string());
                println!(
                    "{}  {:<12} {:<12} rev {} {:<8} {} items  {}  received {}",
                    d.id,
                    d.licensee,
                    d.model_version,
                    d.revision,
                    if d.current { "in force" } else { "replaced" },
                    d.stats.items,
                    verdict,
                    d.received_at.date_naive()
                );
            }
        }
        DisclosureCommand::Matches { id, unmatched, ambiguous, matched, after, limit, json } => {
            let status = match (unmatched, ambiguous, matched) {
                (true, _, _) => Some(MatchStatus::Unmatched),
                (_, true, _) => Some(MatchStatus::Ambiguous),
                (_, _, true) => Some(MatchStatus::Matched),
                _ => None,
            };
            let limit = limit.min(views::MAX_PAGE);
            let (_, rows) =
                views::matches(store, crate::actor(), &id, status, after, limit).await?.with_context(|| {
                    format!("disclosure {id} has no match set: is the id right? (`tantiem disclosure list` shows them)")
                })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &rows {
                    print_row(r);
                }
                if rows.len() as u32 == limit
                    && let Some(last) = rows.last()
                {
                    println!("(more: --after {})", last.item);
                }
            }
        }
        DisclosureCommand::Resolve { id, item, recording, work, none, note } => {
            let resolution = match (recording, work.is_empty(), none) {
                (Some(r), _, _) => Resolution::Recording(r),
                (None, false, _) => Resolution::Works(work),
                (None, true, true) => Resolution::None,
                (None, true, false) => {
                    bail!("say what the item is: --recording ISRC, --work CODE (repeatable) or --none")
                }
            };
            let (row, counts) = decisions::resolve(store, crate::actor(), &id, item, resolution, &note, cx.now).await?;
            print_row(&row);
            println!("Match set now: {}", counts_line(&counts));
            println!("Run `tantiem disclosure assess {id}` to assess it with the decision.");
        }
        DisclosureCommand::Assess { id, json } => {
            let assessment =
                engine::disclosure::assess::assess(store, crate::actor(), &id, cx.operator, cx.now).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&assessment)?);
            } else {
                print_assessment(&assessment);
            }
        }
        DisclosureCommand::Rematch { id, stale } => {
            let (bar, progress) = progress_bar();
            let run = MatchRun { progress: Some(progress), ..cx.match_run() };
            let done = if stale {
                run::rematch_stale(store, crate::actor(), &run, cx.operator).await
            } else {
                let id = id.context("give the disclosure to match again, or --stale")?;
                let d = views::disclosure(store, crate::actor(), &id).await?;
                let outcome = async {
                    let set = run::match_disclosure(store, crate::actor(), &d, &run).await?;
                    Ok((
                        set,
                        engine::disclosure::assess::assess(store, crate::actor(), &id, cx.operator, cx.now).await?,
                    ))
                }
                .await;
                Ok(vec![(d.id.clone(), outcome)])
            };
            bar.finish_and_clear();
            let done = done?;
            if done.is_empty() {
                println!("Every disclosure in force was matched against the repertoire as it stands.");
            }
            let failed = print_rematched(done, "error");
            if failed > 0 {
                bail!("{failed} disclosure(s) could not be matched again: see above");
            }
        }
        DisclosureCommand::Party { party, json } => {
            let (key, matches) = views::party_matches(store, crate::actor(), &party).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&matches)?);
            } else if matches.is_empty() {
                println!("No disclosure in force matched a work of {key}.");
            } else {
                println!("Disclosures in force that matched works of {key}:");
                for m in matches {
                    println!(
                        "  {:<12} model {:<10} ({})  work {:<12} {:>6} item(s) by {}",
                        m.licensee,
                        m.model_version,
                        m.disclosure,
                        m.work_code,
                        m.items,
                        m.method.as_str()
                    );
                }
            }
        }
    }
    Ok(())
}

/// After an import: matches again the disclosures whose repertoire changed, saying so. The import is
/// committed whatever happens here, so a failure is a warning with what to run.
pub async fn rematch_after_import(store: &dyn Store, cx: &Setting<'_>) -> Result<()> {
    let (bar, progress) = progress_bar();
    let run = MatchRun { progress: Some(progress), ..cx.match_run() };
    let done = run::after_import(store, crate::actor(), &run, cx.operator).await;
    bar.finish_and_clear();
    let done = match done {
        Ok(None) => return Ok(()),
        Ok(Some(done)) => done,
        Err(e) => {
            eprintln!(
                "warning: the disclosures were not matched again ({e}): run `tantiem disclosure rematch --stale`"
            );
            return Ok(());
        }
    };
    print_rematched(done, "warning");
    Ok(())
}

/// Says what matching again did for each disclosure, a failure as `level` (error or warning) with what to
/// run; returns how many failed.
fn print_rematched(done: run::Rematched, level: &str) -> usize {
    let mut failed = 0;
    for (id, outcome) in done {
        match outcome {
            Ok((set, a)) => {
                println!(
                    "Disclosure {id} matched again (match set {}): {}; verdict {}",
                    set.number,
                    counts_line(&set.counts),
                    a.verdict
                );
                for s in &a.settlements {
                    println!("  {s}");
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!(
                    "{level}: disclosure {id} was not matched again ({e}): run `tantiem disclosure rematch {id}`"
                );
            }
        }
    }
    failed
}

fn counts_line(c: &MatchCounts) -> String {
    let methods: Vec<String> = c.by_method.iter().map(|(m, n)| format!("{} {n}", m.as_str())).collect();
    format!(
        "{} items: {} matched ({} to recordings, {} to works alone; {}), {} ambiguous, {} unmatched; {} works{}",
        c.items,
        c.matched,
        c.recordings,
        c.works_only,
        if methods.is_empty() { "-".to_owned() } else { methods.join(", ") },
        c.ambiguous,
        c.unmatched,
        c.works,
        if c.decided > 0 { format!("; {} decided by people", c.decided) } else { String::new() }
    )
}

fn print_row(r: &MatchRow) {
    let what = match (&r.recording, r.works.is_empty()) {
        (Some(rec), _) => format!("recording {rec} (works {})", r.works.join(", ")),
        (None, false) => format!("works {}", r.works.join(", ")),
        (None, true) => String::new(),
    };
    println!(
        "#{:<6} line {:<6} {:<9} {:<11} {:>5.1}% {}  {}",
        r.item,
        r.line,
        r.status.as_str(),
        r.method.map_or("", |m| m.as_str()),
        f64::from(r.score) / 10.0,
        r.described,
        what
    );
    println!("         {}", r.explanation);
    for c in &r.candidates {
        println!("         candidate {} ({:.1}%): {}", c.recording, f64::from(c.score) / 10.0, c.explanation);
    }
}

fn print_disclosure(d: &Disclosure, set: Option<&MatchSet>, assessment: Option<&Assessment>, stale: bool) {
    println!(
        "Disclosure {} — {}, model {} (revision {}, {}), received {} by {}",
        d.id,
        d.licensee,
        d.model_version,
        d.revision,
        if d.current { "in force" } else { "replaced by a later one" },
        d.received_at.format("%Y-%m-%d %H:%M UTC"),
        d.received_by
    );
    println!("Files (kept as received):");
    for f in &d.files {
        let items = if f.items > 0 { format!("{} items, ", f.items) } else { String::new() };
        println!("  {:<40} {:<22} {items}{} bytes, sha256 {}", f.name, f.kind.label(), f.size, &f.sha256[..16]);
    }
    let hours = |milli: u64| format!("{}.{:03}", milli / 1000, milli % 1000);
    println!(
        "Declared: {} items, {} hours",
        d.declared.items.map_or("no".to_owned(), |n| n.to_string()),
        d.declared.milli_hours.map_or("no".to_owned(), hours)
    );
    let s = &d.stats;
    println!(
        "Listed: {} items, {} identifiable, {} with a valid ISRC, {} with an ISWC, {} with a fingerprint, {} naming their source ({} sources), {} hours",
        s.items,
        s.identifiable,
        s.with_valid_isrc,
        s.with_valid_iswc,
        s.with_fingerprint,
        s.with_source,
        s.sources.len() as u64 + u64::from(s.sources_unlisted > 0),
        hours(s.duration_s_total * 1000 / 3600)
    );
    if let Some(summary) = &d.summary {
        println!(
            "AI Act summary: {} by {}; audio {}",
            summary.model.name,
            summary.provider.name,
            summary.audio_size().map_or("not given", |b| b.label())
        );
    }
    for c in &d.croissant {
        println!(
            "Croissant: {} ({} files or file sets{})",
            c.name,
            c.distribution.len(),
            if c.has_audio() { ", audio" } else { "" }
        );
    }
    for w in d.warnings.iter().take(20) {
        println!("  warning {w}");
    }
    if d.warnings.len() > 20 {
        println!("  … and {} more warnings", d.warnings.len() - 20);
    }
    match set {
        Some(set) => println!(
            "Matching (set {}, {}{}): {}",
            set.number,
            set.created_at.format("%Y-%m-%d %H:%M"),
            if stale { "; the repertoire has changed since: `disclosure rematch`" } else { "" },
            counts_line(&set.counts)
        ),
        None => println!("Not matched yet."),
    }
    if let Some(a) = assessment {
        print_assessment(a);
    }
}

fn print_assessment(a: &Assessment) {
    println!(
        "Transparency ({} by {}): {}",
        a.assessed_at.format("%Y-%m-%d %H:%M"),
        a.assessed_by,
        a.verdict.as_str().to_uppercase()
    );
    for r in &a.results {
        println!("  [{}] {}: {}", if r.met { "x" } else { " " }, r.criterion, r.detail);
    }
    println!("Works matched: {} ({} the licence can cover)", a.works_matched, a.licensed_works_matched);
    if a.verdict != domain::disclosure::Verdict::Full {
        println!(
            "The presumption rule applies: the training fee is priced on the whole licensed repertoire, and the part beyond the matched works is held."
        );
    }
    if a.unlicensed_works > 0 {
        println!(
            "Unlicensed use: {} matched works have training reserved (as of {}):",
            a.unlicensed_works, a.consent_as_of
        );
        for u in a.unlicensed.iter().take(10) {
            let holders: Vec<String> = u.holders.iter().map(|(_, name, share)| format!("{name} {share}")).collect();
            println!(
                "  {} {} — {} item(s), {} reserved by {}",
                u.work_code,
                u.title,
                u.items,
                u.reserved,
                holders.join(", ")
            );
        }
        if a.unlicensed_works > 10 {
            println!("  … {} more (`disclosure assess {} --json` lists them)", a.unlicensed_works - 10, a.disclosure);
        }
    }
    for s in &a.settlements {
        println!("  {s}");
    }
}
