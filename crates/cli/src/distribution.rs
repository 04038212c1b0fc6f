//! `tantiem distribution|statements|reserve|claim|dilution` and `report transparency`: the money reaching
//! rightsholders, on the command line. Parsing and printing only; the engine does the work.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Datelike, Utc};
use clap::Subcommand;
use domain::{PartyKey, Period};
use engine::Store;
use engine::distribution::catalogue::Payee;
use engine::distribution::export::{self, decimal};
use engine::distribution::run::{self, RunRequest};
use engine::distribution::split::ReserveReason;
use engine::distribution::{report, views};

use crate::actor;

#[derive(Debug, Subcommand)]
pub enum DistributionCommand {
    /// Distribute a period: what was paid and released for it, by the society's rules, down to every
    /// rightsholder; a second run posts only what changed since the first.
    Run {
        /// 2026-03 or 2026-Q1.
        #[arg(long)]
        period: Period,
        /// Compute and show, post nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The runs, newest last.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One run: its inputs, totals and lines.
    Show {
        /// The run's number (`distribution list`).
        run: u64,
        /// Every line (otherwise totals per pool).
        #[arg(long)]
        lines: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The distribution rules as JSON; with --set, replace them with a file of the same form.
    Rules {
        /// A JSON file of the form printed (see docs/distribution.md); checked before it replaces the rules.
        #[arg(long)]
        set: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum StatementsCommand {
    /// A rightsholder's statement (every run, or one), or every member's of a run into a folder.
    Export {
        /// The party, by IPI name number or party key.
        #[arg(long, required_unless_present = "all")]
        party: Option<String>,
        /// Every party the run paid, one file each, into --folder.
        #[arg(long, requires = "run", requires = "folder")]
        all: bool,
        /// One run (its number in `distribution list`); every run when left out.
        #[arg(long)]
        run: Option<u64>,
        /// csv, json or html.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write here (replaced whole); standard output when left out.
        #[arg(long)]
        output: Option<PathBuf>,
        /// With --all: the folder the statements are written into, one file per party.
        #[arg(long)]
        folder: Option<PathBuf>,
    },
    /// What a run owes sister societies, per party of theirs with IPI numbers (CSV or JSON).
    Settlement {
        /// The run (its number in `distribution list`).
        #[arg(long)]
        run: u64,
        /// One society (its CISAC code); every one when left out.
        #[arg(long)]
        society: Option<String>,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write here (replaced whole); standard output when left out.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReserveCommand {
    /// Money waiting for its owner, with its reason and its legal dates.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClaimCommand {
    /// Claim reserved money for a party, with evidence; staff decide, the period's next run pays it.
    Submit {
        /// The period of use the money is reserved under (as `reserve list` shows).
        #[arg(long)]
        period: Period,
        /// The work whose money is reserved (its code), or --unidentified for what attribution named.
        #[arg(long, required_unless_present = "unidentified")]
        work: Option<String>,
        /// What attribution named that the repertoire does not hold (`isrc:…`, `iswc:…`, as `reserve list` shows).
        #[arg(long)]
        unidentified: Option<String>,
        /// unidentified-work, unknown-party, disputed-share, excluded or no-key.
        #[arg(long)]
        reason: String,
        /// The party the money was held for (as `reserve list` shows), when one was.
        #[arg(long, default_value = "")]
        held_for: String,
        /// The claimant, by IPI name number or party key.
        #[arg(long)]
        party: String,
        /// Pay through this sister society (its CISAC code) instead of as a member.
        #[arg(long)]
        through_society: Option<String>,
        /// What shows the claim is right (a registration, a contract, a reference to a document kept elsewhere).
        #[arg(long)]
        evidence: String,
    },
    /// Every claim.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Accept or reject a claim.
    Resolve {
        /// The claim's number (`claim list`).
        id: u64,
        /// Accept it: the period's next run pays it from the reserve.
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        accept: bool,
        /// Reject it: the money stays in the reserve.
        #[arg(long)]
        reject: bool,
        /// Why, kept with the decision.
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DilutionCommand {
    /// Per service and period: AI output's share of the uses reported, what human creators received, and
    /// the trend.
    Show {
        /// One period (repeatable); every distributed one when left out.
        #[arg(long = "period")]
        periods: Vec<Period>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Writes `text` to `path` whole: under a partial name first, renamed into place.
fn write_output(path: &Path, text: &str) -> Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, text).with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn emit(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(path) => {
            write_output(path, text)?;
            eprintln!("Written to {}.", path.display());
            Ok(())
        }
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

pub async fn distribution(store: &dyn Store, command: DistributionCommand, now: DateTime<Utc>) -> Result<()> {
    match command {
        DistributionCommand::Run { period, dry_run, json } => {
            let progress = |phase: &str| eprintln!("  reading {phase}…");
            let outcome = run::run(store, actor(), RunRequest { period, dry_run, now }, &progress).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&outcome.planned)?);
                return Ok(());
            }
            let r = &outcome.planned;
            match (&outcome.recorded, dry_run) {
                (_, _) if outcome.nothing_changed() => {
                    println!("Nothing to distribute for {period}: every payment and input was distributed before.")
                }
                (Some(recorded), _) => println!(
                    "Distribution run {} ({period}, run {} of the period): {} lines, journal entry {}.",
                    recorded.id,
                    recorded.number,
                    recorded.lines,
                    recorded.journal_entry.map_or("none".into(), |n| n.to_string())
                ),
                (None, _) => println!("Dry run of {period} (nothing posted): {} lines would be posted.", r.lines),
            }
            for t in &r.totals {
                println!(
                    "  {}: in {}; management fee {}; cultural fund {}; to members {} (carried forward {}); to sister \
                     societies {}; reserve {}; balances: {}",
                    t.currency,
                    decimal(t.money_in),
                    decimal(t.management_fee),
                    decimal(t.cultural_fund),
                    decimal(t.members_paid),
                    decimal(t.carried_forward),
                    decimal(t.societies),
                    decimal(t.reserve),
                    if t.balances() { "yes" } else { "NO" }
                );
            }
            println!("  inputs digest {}", r.inputs.digest);
            Ok(())
        }
        DistributionCommand::List { json } => {
            let runs = views::runs(store, actor()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&runs)?);
            } else if runs.is_empty() {
                println!("No distribution run yet: `tantiem distribution run --period YYYY-MM`.");
            }
            for r in runs.iter().filter(|_| !json) {
                let moved: Vec<String> =
                    r.totals.iter().map(|t| format!("{} {}", decimal(t.money_in), t.currency)).collect();
                println!(
                    "{:>5} {} run {} {} {} lines, {}",
                    r.id,
                    r.period,
                    r.number,
                    r.created_at.format("%Y-%m-%d %H:%M"),
                    r.lines,
                    moved.join(", ")
                );
            }
            Ok(())
        }
        DistributionCommand::Show { run, lines, json } => {
            let (record, stored) = views::run(store, actor(), run).await?;
            if json {
                let value = serde_json::json!({ "run": record, "lines": stored });
                println!("{}", serde_json::to_string_pretty(&value)?);
                return Ok(());
            }
            println!(
                "Run {} of {} (run {} of the period), by {} at {}",
                record.id, record.period, record.number, record.created_by, record.created_at
            );
            println!("  inputs: {}", record.inputs.digest);
            let runs = views::runs(store, actor()).await?;
            if let Some(reason) = engine::distribution::store::adjustment_reasons(&runs).get(&record.id) {
                println!("  adjusts the period's earlier runs: {reason}");
            }
            let mut pools: std::collections::BTreeMap<(String, String), i64> = std::collections::BTreeMap::new();
            for l in &stored {
                let id = &l.line.id;
                *pools
                    .entry((format!("{} {}", id.pool, id.currency.code()), id.kind.as_str().to_owned()))
                    .or_default() += l.line.amount_micros;
                if lines {
                    println!(
                        "  {} {} {:<7} {:<10} {:<18} {:<2} {:<12} {:>18} (before {})",
                        id.pool,
                        id.currency.code(),
                        id.kind.as_str(),
                        id.work,
                        id.party,
                        id.right,
                        id.reason.map_or(format!("{:?}", id.payee).to_lowercase(), |r| r.as_str().to_owned()),
                        decimal(l.line.amount_micros),
                        decimal(l.previous_micros)
                    );
                }
            }
            if !lines {
                for ((pool, kind), micros) in pools {
                    println!("  {pool:<48} {kind:<8} {:>20}", decimal(micros));
                }
            }
            Ok(())
        }
        DistributionCommand::Rules { set } => {
            if let Some(path) = set {
                let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
                let rules: engine::distribution::DistributionRules =
                    serde_json::from_str(&text).with_context(|| {
                        format!(
                            "{}: not distribution rules (see `tantiem distribution rules` for the form)",
                            path.display()
                        )
                    })?;
                views::set_rules(store, actor(), &rules).await?;
                println!("Distribution rules set from {}.", path.display());
            } else {
                println!("{}", serde_json::to_string_pretty(&views::rules(store, actor()).await?)?);
            }
            Ok(())
        }
    }
}

pub async fn statements(store: &dyn Store, command: StatementsCommand) -> Result<()> {
    let society = engine::registry::society(store, actor()).await?;
    let society = format!("{} {}", society.code, society.name);
    match command {
        StatementsCommand::Export { party, all, run, format, output, folder } => {
            let render = |s: &views::Statement| -> Result<String> {
                Ok(match format.as_str() {
                    "csv" => export::statement_csv(s),
                    "json" => serde_json::to_string_pretty(s)? + "\n",
                    "html" => export::statement_html(s, &society),
                    other => bail!("format {other:?}: use csv, json or html"),
                })
            };
            if all {
                let (Some(run), Some(folder)) = (run, folder) else { bail!("--all needs --run and --folder") };
                std::fs::create_dir_all(&folder).with_context(|| format!("cannot create {}", folder.display()))?;
                let count = views::each_run_statement(store, actor(), run, &mut |statement| {
                    let name = format!("statement-{run}-{}.{format}", statement.party.replace([':', '/'], "_"));
                    render(&statement)
                        .and_then(|text| write_output(&folder.join(name), &text))
                        .map_err(|e| engine::distribution::DistributionError::Output(format!("{e:#}")))
                })
                .await?;
                println!("{count} statements written to {}.", folder.display());
                return Ok(());
            }
            let party = PartyKey::named(party.as_deref().unwrap_or_default());
            let statement = views::statement(store, actor(), &party, run).await?;
            emit(output.as_deref(), &render(&statement)?)
        }
        StatementsCommand::Settlement { run, society, format, output } => {
            let society = society
                .map(|code| {
                    domain::SocietyCode::parse(&code).with_context(|| format!("{code:?} is not a CISAC society code"))
                })
                .transpose()?;
            let settlements = views::settlements(store, actor(), run, society.map(|c| c.number())).await?;
            let text = match format.as_str() {
                "csv" => settlements.iter().map(export::settlement_csv).collect::<Vec<_>>().join(""),
                "json" => serde_json::to_string_pretty(&settlements)? + "\n",
                other => bail!("format {other:?}: use csv or json"),
            };
            emit(output.as_deref(), &text)
        }
    }
}

pub async fn reserve(store: &dyn Store, command: ReserveCommand, now: DateTime<Utc>) -> Result<()> {
    let ReserveCommand::List { json } = command;
    let items = views::reserve(store, actor(), now.date_naive()).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(());
    }
    if items.is_empty() {
        println!("The reserve is empty.");
    }
    for i in &items {
        println!(
            "{} {:<17} {:<11} {:<10} {:<22} {:>16} {}  distribute by {}, list by {}, non-distributable on {}: {}",
            i.period,
            i.reason.as_str(),
            i.stage.as_str(),
            if i.work.is_empty() { &i.unidentified } else { &i.work },
            if i.party.is_empty() { "-" } else { &i.party },
            decimal(i.amount_micros),
            i.currency.code(),
            i.clocks.distribute_by,
            i.clocks.list_by,
            i.clocks.non_distributable_on,
            i.status
        );
    }
    Ok(())
}

pub async fn claim(store: &dyn Store, command: ClaimCommand, now: DateTime<Utc>) -> Result<()> {
    match command {
        ClaimCommand::Submit { period, work, unidentified, reason, held_for, party, through_society, evidence } => {
            let reason = ReserveReason::parse(&reason).with_context(|| {
                format!("reason {reason:?}: use unidentified-work, unknown-party, disputed-share, excluded or no-key")
            })?;
            let payee = match through_society {
                Some(code) => Payee::Society(
                    domain::SocietyCode::parse(&code)
                        .with_context(|| format!("{code:?} is not a CISAC society code"))?
                        .number(),
                ),
                None => Payee::Member,
            };
            let request = views::ClaimRequest {
                period,
                work: work.unwrap_or_default(),
                unidentified: unidentified.unwrap_or_default(),
                reason,
                held_for,
                claimant: PartyKey::named(&party),
                payee,
                evidence,
            };
            let claim = views::submit_claim(store, actor(), request, now).await?;
            println!(
                "Claim {} recorded; staff decide it with `tantiem claim resolve {} --accept|--reject`.",
                claim.id, claim.id
            );
            Ok(())
        }
        ClaimCommand::List { json } => {
            let claims = views::claims(store, actor()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&claims)?);
            }
            for c in claims.iter().filter(|_| !json) {
                println!(
                    "{:>4} {:?} {} {} {} for {} by {}: {}",
                    c.id,
                    c.status,
                    c.period,
                    c.reason.as_str(),
                    if c.work.is_empty() { &c.unidentified } else { &c.work },
                    c.claimant,
                    c.submitted_by,
                    c.evidence
                );
            }
            Ok(())
        }
        ClaimCommand::Resolve { id, accept, reject: _, note } => {
            let claim = views::resolve_claim(store, actor(), id, accept, &note, now).await?;
            let what = if accept {
                format!(
                    "accepted: the next run of {} pays it (`tantiem distribution run --period {}`)",
                    claim.period, claim.period
                )
            } else {
                "rejected".into()
            };
            println!("Claim {id} {what}.");
            Ok(())
        }
    }
}

pub async fn transparency(
    store: &dyn Store,
    year: Option<i32>,
    format: &str,
    output: Option<&Path>,
    now: DateTime<Utc>,
) -> Result<()> {
    let year = year.unwrap_or(now.year() - 1);
    let report = report::transparency(store, actor(), year, now.date_naive()).await?;
    let text = match format {
        "json" => serde_json::to_string_pretty(&report)? + "\n",
        "html" => report::transparency_html(&report),
        other => bail!("format {other:?}: use html or json"),
    };
    emit(output, &text)
}

pub async fn dilution(store: &dyn Store, command: DilutionCommand) -> Result<()> {
    let DilutionCommand::Show { periods, json } = command;
    let rows = report::dilution(store, actor(), &periods).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("No service reported AI outputs in a distributed period yet.");
    }
    for d in &rows {
        println!(
            "{} {}/{}: {} AI output uses ({}.{:02}% of the uses reported); human creators received {} {} ({} per 1,000 AI uses){}",
            d.period,
            d.licensee,
            d.service,
            d.ai_output_uses,
            d.ai_share_ppm / 10_000,
            d.ai_share_ppm % 10_000 / 100,
            export::cents(d.human_received_micros),
            d.currency,
            export::cents(d.received_per_thousand_uses_micros),
            d.trend_ppm.map_or(String::new(), |t| format!(
                "; {:+}.{:02}% on the period before",
                t / 10_000,
                (t % 10_000).abs() / 100
            ))
        );
    }
    Ok(())
}
