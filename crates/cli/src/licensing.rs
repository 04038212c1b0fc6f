//! `tantiem licensee|model|service|agreement|tariff|report|invoice|payment|presumption|ledger|licence`: the
//! licensing side of the command line. Parsing and printing only; the engine does the work.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};
use domain::ids::{InvoiceNumber, LicenseeId};
use domain::licensing::{AgreementStatus, Licensee, ModelVersion};
use domain::{Period, SocietyCode, Stage};
use engine::Store;
use engine::licensing::invoicing::{self, InvoiceRun, RunOutcome, Settled, Settlement};
use engine::licensing::licensees;
use engine::licensing::reports::{self, Intake, Submitted};
use engine::licensing::{Archive, export, licences, tokens};
use money::{Amount, Currency, Rate};

#[derive(Debug, Subcommand)]
pub enum LicenseeCommand {
    /// Add or update a licensee (an AI company).
    Add {
        id: String,
        #[arg(long)]
        name: String,
        /// ISO 3166 country of establishment (decides VAT).
        #[arg(long)]
        country: String,
        #[arg(long)]
        vat_number: Option<String>,
        /// micro, small, medium or large (sets the training base fee).
        #[arg(long, default_value = "small")]
        tier: String,
        /// A contact (repeatable).
        #[arg(long = "contact")]
        contacts: Vec<String>,
    },
    /// List licensees.
    List,
    /// Show a licensee with its services, model versions and agreement.
    Show {
        id: LicenseeId,
        #[arg(long)]
        json: bool,
    },
    /// Create an API token for the licensee. It is shown once; only its hash is kept.
    Token {
        id: LicenseeId,
        #[arg(long, default_value = "api")]
        label: String,
    },
    /// List the licensee's API tokens (by the start of their hash).
    Tokens { id: LicenseeId },
    /// Revoke the licensee's API tokens whose hash starts with PREFIX (at least 6 hex digits).
    RevokeToken { id: LicenseeId, prefix: String },
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Add or update a model version (a retrained model is a new version).
    Add {
        id: String,
        #[arg(long)]
        licensee: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        version: String,
        /// A model version this one was built on (repeatable).
        #[arg(long = "base")]
        base_models: Vec<String>,
        #[arg(long)]
        trained_on: Option<NaiveDate>,
        /// The date placed on the EU market (the training licence is invoiced for that period).
        #[arg(long)]
        placed_on_market: Option<NaiveDate>,
        /// Where the AI Act public training summary is published.
        #[arg(long)]
        summary_url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Add a service, or record which model versions power it from a date.
    Add {
        id: String,
        #[arg(long)]
        licensee: LicenseeId,
        #[arg(long, default_value = "")]
        name: String,
        /// Model versions powering the service from `--from` (comma-separated).
        #[arg(long, value_delimiter = ',')]
        models: Vec<String>,
        #[arg(long)]
        from: Option<NaiveDate>,
    },
}

/// The parts of an agreement version a person sets.
#[derive(Debug, Args)]
pub struct AgreementArgs {
    #[arg(long)]
    licensee: LicenseeId,
    /// The day this version takes effect.
    #[arg(long)]
    from: NaiveDate,
    /// training, service, output (comma-separated).
    #[arg(long, value_delimiter = ',')]
    stages: Vec<String>,
    /// ISO 3166 country codes (comma-separated).
    #[arg(long, value_delimiter = ',')]
    territories: Vec<String>,
    /// CISAC codes of the societies whose repertoire is licensed (default: this society).
    #[arg(long, value_delimiter = ',')]
    societies: Vec<String>,
    #[arg(long, value_delimiter = ',')]
    services: Vec<String>,
    #[arg(long = "models", value_delimiter = ',')]
    model_versions: Vec<String>,
    /// Output use types licensed (advertising, film and broadcast are not unless listed).
    #[arg(long, value_delimiter = ',')]
    use_types: Vec<String>,
    #[arg(long)]
    until: Option<NaiveDate>,
    /// draft, active, suspended or ended.
    #[arg(long)]
    status: Option<String>,
    /// A tariff file (JSON, as `tantiem tariff show` prints it).
    #[arg(long)]
    tariff: Option<PathBuf>,
    /// Minimum guarantee per reporting period, in the tariff's currency.
    #[arg(long)]
    guarantee: Option<String>,
    /// An advance on royalties, in the tariff's currency (invoiced with `invoice advance`, then recouped).
    #[arg(long)]
    advance: Option<String>,
    #[arg(long)]
    payment_days: Option<u32>,
    /// Days after a period's end by which its reports are due.
    #[arg(long)]
    report_due_days: Option<u32>,
    /// How long the presumption part is held, in days.
    #[arg(long)]
    presumption_window_days: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum AgreementCommand {
    /// Create the licensee's blanket agreement (version 1).
    Create {
        id: String,
        #[command(flatten)]
        args: AgreementArgs,
    },
    /// Add a version: what is not given is carried over from the latest version.
    Amend {
        #[command(flatten)]
        args: AgreementArgs,
    },
    /// Show the agreement with every version.
    Show {
        licensee: LicenseeId,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TariffCommand {
    /// Print a tariff as JSON: the documented defaults, or the one in force for a licensee.
    Show {
        #[arg(long, default_value = "EUR")]
        currency: String,
        #[arg(long)]
        licensee: Option<LicenseeId>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Submit report files (service or output report, JSON/CSV, or a DSR file) for a licensee.
    Submit {
        #[arg(long)]
        licensee: LicenseeId,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List a licensee's reports and revisions.
    List { licensee: LicenseeId },
    /// Each period's due reports: received, late, missing or open.
    Status { licensee: LicenseeId },
    /// The annual transparency report (CMO Directive Art. 22) of a financial year, as HTML or JSON.
    Transparency {
        /// The year the financial year ends in (default: last year).
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, default_value = "html")]
        format: String,
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum InvoiceCommand {
    /// Rate and invoice a period for every licensee (or one).
    Run {
        /// 2026-03 or 2026-Q1.
        #[arg(long)]
        period: String,
        #[arg(long)]
        licensee: Option<LicenseeId>,
        /// The issue date (default today).
        #[arg(long)]
        issued: Option<NaiveDate>,
        /// A conversion rate for reported figures, FROM:TO=RATE, e.g. USD:EUR=0.92 (repeatable).
        #[arg(long = "rate")]
        rates: Vec<String>,
    },
    /// Invoice the advance on royalties the licensee's agreement sets (once).
    Advance {
        #[arg(long)]
        licensee: LicenseeId,
        #[arg(long)]
        issued: Option<NaiveDate>,
    },
    List {
        #[arg(long)]
        licensee: Option<LicenseeId>,
    },
    /// Show an invoice as text, JSON, CSV or printable HTML.
    Show {
        number: InvoiceNumber,
        #[arg(long, default_value = "text")]
        format: String,
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Mark an invoice disputed (or, with --resolve, settle the dispute).
    Dispute {
        number: InvoiceNumber,
        #[arg(long)]
        resolve: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PaymentCommand {
    /// Record a payment against an invoice; the same reference again changes nothing.
    Record {
        invoice: InvoiceNumber,
        #[arg(long)]
        reference: String,
        #[arg(long)]
        amount: String,
        /// Default: the invoice's currency.
        #[arg(long)]
        currency: Option<String>,
        #[arg(long)]
        received: Option<NaiveDate>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PresumptionCommand {
    /// Release to distribution every held part whose window has passed.
    ReleaseDue,
    /// Credit the held part of an invoice back (a fully transparent disclosure arrived in time).
    CreditBack { invoice: InvoiceNumber },
}

#[derive(Debug, Subcommand)]
pub enum LicenceCommand {
    /// Create a new signing key (sealed with TANTIEM_KEY_PASSPHRASE) and retire the current one.
    RotateKey,
    /// Issue the certificate of a licensee's current agreement version.
    Issue {
        #[arg(long)]
        licensee: LicenseeId,
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Verify a certificate: the signature against the published keys (a keys file, or this store's),
    /// and, from the store, the agreement's standing today.
    Verify {
        file: PathBuf,
        /// A published keys file (as served at /api/v1/licences/keys) for verifying without a store.
        #[arg(long)]
        keys: Option<PathBuf>,
    },
    /// Print the published keys (for offline verification).
    Keys,
}

/// The passphrase that seals the signing key, read from `TANTIEM_KEY_PASSPHRASE` only: a command-line
/// argument would show in the process list.
pub struct Passphrase(Option<String>);

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(…)")
    }
}

impl Passphrase {
    pub fn from_env() -> Passphrase {
        Passphrase(std::env::var("TANTIEM_KEY_PASSPHRASE").ok().filter(|p| !p.is_empty()))
    }

    fn get(&self) -> Result<&str> {
        self.0.as_deref().context("set TANTIEM_KEY_PASSPHRASE: it seals and unseals the society's signing key")
    }
}

pub async fn licensee(store: &dyn Store, command: LicenseeCommand, now: DateTime<Utc>) -> Result<()> {
    match command {
        LicenseeCommand::Add { id, name, country, vat_number, tier, contacts } => {
            let l = licensees::put_licensee(
                store,
                crate::actor(),
                Licensee { id, name, country, vat_number, business_tier: tier, contacts },
            )
            .await?;
            println!("Licensee {} ({}, {}, {} business) recorded.", l.id, l.name, l.country, l.business_tier);
        }
        LicenseeCommand::List => {
            for l in licensees::list(store, crate::actor()).await? {
                let seen = licensees::show(store, crate::actor(), &engine::store::stored_id(&l.id)?).await?;
                let agreement = seen.agreement.map_or_else(|| "no agreement".to_owned(), |a| a.id);
                println!("{:<16} {:<32} {} {:<7} {}", l.id, l.name, l.country, l.business_tier, agreement);
            }
        }
        LicenseeCommand::Show { id, json } => {
            let licensees::LicenseeView { licensee: l, services, model_versions: models, agreement } =
                licensees::show(store, crate::actor(), &id).await?;
            if json {
                let value = serde_json::json!({ "licensee": l, "services": services, "model_versions": models, "agreement": agreement });
                println!("{}", serde_json::to_string_pretty(&value)?);
                return Ok(());
            }
            println!(
                "{} — {} ({}), VAT number {}, {} business",
                l.id,
                l.name,
                l.country,
                l.vat_number.as_deref().unwrap_or("none"),
                l.business_tier
            );
            for m in &models {
                println!(
                    "  model {} ({} {}), placed on the EU market {}",
                    m.id,
                    m.name,
                    m.version,
                    m.placed_on_eu_market.map_or("-".into(), |d| d.to_string())
                );
            }
            for s in &services {
                let timeline: Vec<String> =
                    s.timeline.iter().map(|t| format!("from {}: {}", t.from, t.model_versions.join(", "))).collect();
                println!("  service {} ({}): {}", s.id, s.name, timeline.join("; "));
            }
            match agreement {
                Some(a) => print_agreement(&a),
                None => println!("  no agreement"),
            }
        }
        LicenseeCommand::Tokens { id } => {
            for t in tokens::list(store, crate::actor(), &id).await? {
                let state =
                    t.revoked_at.map_or("active".to_owned(), |at| format!("revoked {}", at.format("%Y-%m-%d %H:%M")));
                println!(
                    "{}  {:<16} created {}  {state}",
                    t.hash_prefix,
                    t.label,
                    t.created_at.format("%Y-%m-%d %H:%M")
                );
            }
        }
        LicenseeCommand::RevokeToken { id, prefix } => {
            let n = tokens::revoke(store, crate::actor(), &id, &prefix, now).await?;
            println!("Revoked {n} token(s) of {id}.");
        }
        LicenseeCommand::Token { id, label } => {
            let token = tokens::create(store, crate::actor(), &id, &label, &engine::OsEntropy, now).await?;
            println!("API token for {id} (shown once; only its hash is kept):\n{token}");
        }
    }
    Ok(())
}

pub async fn model(store: &dyn Store, command: ModelCommand) -> Result<()> {
    let ModelCommand::Add { id, licensee, name, version, base_models, trained_on, placed_on_market, summary_url } =
        command;
    let m = ModelVersion {
        id,
        licensee,
        name,
        version,
        base_models,
        trained_on,
        placed_on_eu_market: placed_on_market,
        training_summary_url: summary_url,
    };
    let m = licensees::put_model_version(store, crate::actor(), m).await?;
    println!("Model version {} of {} recorded.", m.id, m.licensee);
    Ok(())
}

pub async fn service(store: &dyn Store, command: ServiceCommand) -> Result<()> {
    let ServiceCommand::Add { id, licensee, name, models, from } = command;
    let timeline = match (from, models.is_empty()) {
        (Some(from), false) => Some((from, models)),
        (None, true) => None,
        _ => bail!("give --models and --from together"),
    };
    let s = licensees::put_service(store, crate::actor(), &licensee, &id, &name, timeline).await?;
    println!("Service {} of {} recorded ({} timeline entries).", s.id, s.licensee, s.timeline.len());
    Ok(())
}

fn status(text: &str) -> Result<AgreementStatus> {
    serde_json::from_value(serde_json::Value::String(text.to_ascii_lowercase()))
        .with_context(|| format!("status {text:?}: use draft, active, suspended or ended"))
}

fn stages(list: &[String]) -> Result<Vec<Stage>> {
    list.iter()
        .map(|s| Stage::parse(s).with_context(|| format!("stage {s:?}: use training, service or output")))
        .collect()
}

/// What the arguments change; the engine keeps or defaults the rest.
fn agreement_change(args: &AgreementArgs) -> Result<licensees::AgreementChange> {
    let listed = |list: &Vec<String>| (!list.is_empty()).then(|| list.clone());
    let tariff = match &args.tariff {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            Some(serde_json::from_str(&text).with_context(|| {
                format!("{} is not a tariff file: start from `tantiem tariff show`", path.display())
            })?)
        }
        None => None,
    };
    let societies = args
        .societies
        .iter()
        .map(|s| SocietyCode::parse(s).with_context(|| format!("{s:?} is not a CISAC society code")))
        .collect::<Result<Vec<_>>>()?;
    Ok(licensees::AgreementChange {
        stages: (!args.stages.is_empty()).then(|| stages(&args.stages)).transpose()?,
        territories: listed(&args.territories),
        societies: (!societies.is_empty()).then_some(societies),
        services: listed(&args.services),
        model_versions: listed(&args.model_versions),
        use_types: listed(&args.use_types),
        term_until: args.until,
        status: args.status.as_deref().map(status).transpose()?,
        tariff,
        minimum_guarantee: args.guarantee.clone(),
        advance: args.advance.clone(),
        payment_days: args.payment_days,
        report_due_days: args.report_due_days,
        presumption_window_days: args.presumption_window_days,
    })
}

pub async fn agreement(store: &dyn Store, command: AgreementCommand, now: DateTime<Utc>) -> Result<()> {
    match command {
        AgreementCommand::Create { id, args } => {
            let change = agreement_change(&args)?;
            let a =
                licensees::create_agreement_with(store, crate::actor(), &id, &args.licensee, args.from, change, now)
                    .await?;
            print_agreement(&a);
        }
        AgreementCommand::Amend { args } => {
            let change = agreement_change(&args)?;
            let a =
                licensees::amend_agreement_with(store, crate::actor(), &args.licensee, args.from, change, now).await?;
            print_agreement(&a);
        }
        AgreementCommand::Show { licensee, json } => {
            let a = store
                .agreement_of(&licensee)
                .await?
                .with_context(|| format!("licensee {licensee:?} has no agreement"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&a)?);
            } else {
                print_agreement(&a);
            }
        }
    }
    Ok(())
}

fn print_agreement(a: &engine::licensing::store::StoredAgreement) {
    println!("Agreement {} with {}:", a.id, a.licensee);
    for r in &a.versions {
        let v = &r.coverage;
        let stages: Vec<&str> = v.stages.iter().map(|s| s.as_str()).collect();
        println!(
            "  version {} from {}{} ({:?}): stages {}; territories {}; societies {}; services {}; models {}; use types {}; tariff in {}{}; reports due {} days after the period",
            v.version,
            v.effective_from,
            v.term_until.map_or(String::new(), |u| format!(" until {u}")),
            v.status,
            stages.join(","),
            v.territories.join(","),
            v.societies.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
            v.services.join(","),
            v.model_versions.join(","),
            if v.use_types.is_empty() { "none".to_owned() } else { v.use_types.join(",") },
            r.terms.tariff.currency,
            r.terms.minimum_guarantee.map_or(String::new(), |g| format!(", guarantee {g} per period")),
            r.terms.reporting.due_days,
        );
    }
}

pub async fn tariff(store: &dyn Store, command: TariffCommand) -> Result<()> {
    let TariffCommand::Show { currency, licensee } = command;
    let tariff = match licensee {
        Some(l) => {
            let seen = licensees::show(store, crate::actor(), &l).await?;
            let a = seen.agreement.with_context(|| format!("licensee {l:?} has no agreement"))?;
            a.latest().context("the agreement has no version")?.terms.tariff.clone()
        }
        None => {
            rating::Tariff::illustrative(currency.parse().with_context(|| format!("unknown currency {currency:?}"))?)?
        }
    };
    println!("{}", serde_json::to_string_pretty(&tariff)?);
    Ok(())
}

pub async fn report(
    store: &dyn Store,
    archive: &Archive,
    command: ReportCommand,
    operator: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    match command {
        ReportCommand::Submit { licensee, files } => {
            let mut failed = 0;
            for path in files {
                let file = std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
                let size = file.metadata().map(|m| m.len()).unwrap_or(0);
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let bar = crate::commands::byte_bar(size, &name);
                let mut intake = Intake::new(&licensee, operator, &engine::OsEntropy, now);
                let shown = bar.clone();
                intake.progress = Some(std::sync::Arc::new(move |phase: &'static str, done: u64| {
                    shown.set_message(format!("{name}: {phase}"));
                    shown.set_position(done);
                }));
                let outcome = reports::submit_report(store, crate::actor(), archive, file, intake).await;
                bar.finish_and_clear();
                match outcome {
                    Ok((submitted, warnings)) => {
                        print_submitted(&path, &submitted);
                        for w in warnings {
                            println!("  {w}");
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("{}: {e}", path.display());
                    }
                }
            }
            if failed > 0 {
                bail!("{failed} report file(s) were rejected; nothing of them was stored");
            }
        }
        ReportCommand::List { licensee } => {
            for r in reports::list(store, crate::actor(), &licensee).await? {
                println!(
                    "{:<24} rev {} {} {:<7} {:<8} {} lines{}{} sha256 {}",
                    r.report_id,
                    r.revision,
                    r.period,
                    r.kind.as_str(),
                    if r.current { "current" } else { "replaced" },
                    r.summary.lines,
                    if r.summary.late { ", late" } else { "" },
                    if r.summary.unlicensed.is_empty() {
                        String::new()
                    } else {
                        format!(", {} unlicensed uses", r.summary.unlicensed.len())
                    },
                    &r.sha256[..16],
                );
            }
        }
        ReportCommand::Status { licensee } => {
            for d in reports::reporting_status(store, crate::actor(), &licensee, now.date_naive()).await? {
                println!(
                    "{} {:<7} due {} {:<8} {}",
                    d.period,
                    d.kind.as_str(),
                    d.due_on,
                    d.status,
                    d.report_ids.join(", ")
                );
            }
        }
        ReportCommand::Transparency { year, format, output } => {
            crate::distribution::transparency(store, year, &format, output.as_deref(), now).await?;
        }
    }
    Ok(())
}

fn print_submitted(path: &std::path::Path, submitted: &Submitted) {
    let r = submitted.record();
    let what = match submitted {
        Submitted::New(_) => "received",
        Submitted::Correction(_) => "received as a correction (revision replaces the earlier one)",
        Submitted::AlreadyReceived(_) => "already received: nothing changed",
    };
    println!(
        "{}: {} report {} for {} revision {} {what}; {} lines, {} outputs{}",
        path.display(),
        r.kind.as_str(),
        r.report_id,
        r.period,
        r.revision,
        r.summary.lines,
        r.summary.outputs,
        if r.summary.late {
            format!("; LATE (due {})", r.summary.due_on.map_or("-".into(), |d| d.to_string()))
        } else {
            String::new()
        },
    );
    for u in &r.summary.unlicensed {
        println!("  unlicensed use: {u}");
    }
}

fn parse_rate(text: &str) -> Result<(Rate, String)> {
    let (pair, value) = text.split_once('=').context("write a rate as FROM:TO=RATE, e.g. USD:EUR=0.92")?;
    let (from, to) = pair.split_once(':').context("write a rate as FROM:TO=RATE, e.g. USD:EUR=0.92")?;
    let rate = Rate::parse(from.trim().parse()?, to.trim().parse()?, value.trim())?;
    Ok((rate, format!("given on the command line: {text}")))
}

pub async fn invoice(store: &dyn Store, command: InvoiceCommand, now: DateTime<Utc>) -> Result<()> {
    match command {
        InvoiceCommand::Run { period, licensee, issued, rates } => {
            let period: Period = period.parse()?;
            let rates = rates.iter().map(|r| parse_rate(r)).collect::<Result<Vec<_>>>()?;
            let run = InvoiceRun {
                period,
                licensee: licensee.as_deref(),
                issued_on: issued.unwrap_or(now.date_naive()),
                now,
                rates: &rates,
            };
            let mut failed = 0;
            for (licensee, outcome) in invoicing::run_invoices(store, crate::actor(), &run).await? {
                match outcome {
                    RunOutcome::Issued(i) => {
                        println!("{licensee}: issued {} for {}, total {}", i.number, i.period, i.rated.total)
                    }
                    RunOutcome::Unchanged(i) => println!("{licensee}: {} stands unchanged (same reports)", i.number),
                    RunOutcome::Corrected { credit_note, invoice } => println!(
                        "{licensee}: reports changed; {} cancels {}, and {} replaces it, total {}",
                        credit_note.number,
                        credit_note.corrects.as_deref().unwrap_or(""),
                        invoice.number,
                        invoice.rated.total
                    ),
                    RunOutcome::Cancelled { credit_note } => println!(
                        "{licensee}: reports changed and nothing is owed; {} cancels {}",
                        credit_note.number,
                        credit_note.corrects.as_deref().unwrap_or("")
                    ),
                    RunOutcome::Nothing(why) => println!("{licensee}: nothing to invoice ({why})"),
                    RunOutcome::Failed(why) => {
                        failed += 1;
                        eprintln!("{licensee}: NOT INVOICED: {why}");
                    }
                }
            }
            if failed > 0 {
                bail!("{failed} licensee(s) could not be invoiced; fix the cause and run the period again");
            }
        }
        InvoiceCommand::Advance { licensee, issued } => {
            let i =
                invoicing::invoice_advance(store, crate::actor(), &licensee, issued.unwrap_or(now.date_naive()), now)
                    .await?;
            println!(
                "{}: advance invoice {} total {} (recouped from later periods)",
                licensee, i.number, i.rated.total
            );
        }
        InvoiceCommand::List { licensee } => {
            for i in invoicing::invoices(store, crate::actor(), licensee.as_ref()).await? {
                println!(
                    "{:<16} {:<12} {} {:<8} total {:>20} due {} {}",
                    i.number,
                    i.licensee,
                    i.period,
                    i.status.as_str(),
                    i.rated.total.to_string(),
                    i.due_on,
                    i.corrects.map_or(String::new(), |c| format!("cancels {c}"))
                );
            }
        }
        InvoiceCommand::Show { number, format, output } => {
            let i = invoicing::invoice(store, crate::actor(), &number).await?;
            let society = engine::registry::society(store, crate::actor()).await?;
            let society = format!("{} {}", society.code, society.name);
            let text = match format.as_str() {
                "text" => engine::licensing::export::text(&i),
                "json" => export::json(&i),
                "csv" => export::csv(&i),
                "html" => export::html(&i, &society),
                other => bail!("format {other:?}: use text, json, csv or html"),
            };
            match output {
                Some(path) => {
                    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
                    println!("Wrote {}.", path.display());
                }
                None => print!("{text}"),
            }
        }
        InvoiceCommand::Dispute { number, resolve } => {
            let i = invoicing::dispute(store, crate::actor(), &number, !resolve).await?;
            println!("{} is now {}.", i.number, i.status.as_str());
        }
    }
    Ok(())
}

pub async fn payment(store: &dyn Store, command: PaymentCommand, now: DateTime<Utc>) -> Result<()> {
    let PaymentCommand::Record { invoice, reference, amount, currency, received } = command;
    let currency: Currency = match currency {
        Some(c) => c.parse()?,
        None => invoicing::invoice(store, crate::actor(), &invoice).await?.currency,
    };
    let amount = Amount::parse(&amount, currency)?;
    let (payment, new) = invoicing::record_payment(
        store,
        crate::actor(),
        &invoice,
        &reference,
        amount,
        received.unwrap_or(now.date_naive()),
        now,
    )
    .await?;
    if new {
        let status = invoicing::invoice(store, crate::actor(), &invoice).await?.status.as_str();
        println!(
            "Payment {} of {} recorded against {} (journal entry {}); the invoice is {status}.",
            payment.key, payment.amount, payment.invoice, payment.journal_entry
        );
    } else {
        println!("Payment {} was recorded before: nothing changed.", payment.key);
    }
    Ok(())
}

pub async fn presumption(store: &dyn Store, command: PresumptionCommand, now: DateTime<Utc>) -> Result<()> {
    match command {
        PresumptionCommand::ReleaseDue => {
            let released = invoicing::release_due_presumptions(store, crate::actor(), now.date_naive(), now).await?;
            println!(
                "Released to distribution the presumption part of {} invoice(s): {}",
                released.len(),
                released.join(", ")
            );
        }
        PresumptionCommand::CreditBack { invoice } => {
            match invoicing::settle_presumption(
                store,
                crate::actor(),
                &invoice,
                Settlement::CreditBack { works_matched: None },
                now,
            )
            .await?
            {
                Settled::Posted(n) => {
                    println!("The presumption part of {invoice} was credited back (journal entry {n}).")
                }
                Settled::Already(n) => {
                    println!("The presumption part of {invoice} was settled before (journal entry {n}).")
                }
                Settled::NothingHeld => println!("{invoice} holds nothing by presumption."),
            }
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// The trial balance: every account's balance, summed from its postings (the default).
    Balance,
    /// Verify the books from the last checkpoint: every entry after it numbered in sequence and balanced,
    /// and every account those entries touched summing to what the journal says. Keeps a new checkpoint.
    /// Run it with --full periodically (e.g. nightly from cron): that reads every entry from the first and
    /// must reproduce every checkpoint, so a change made to the store behind Tantiem's back is found.
    Verify {
        #[arg(long)]
        full: bool,
    },
}

/// Which entries a verification read, in words.
fn verified_range(v: &engine::books::Verified) -> String {
    match (v.entries_read, v.from) {
        (0, 0) => "the books are empty".into(),
        (0, from) => format!("nothing posted since the checkpoint at entry {from}, which stands"),
        (_, 0) => format!("entries 1 to {} verified", v.through),
        (_, from) => format!("entries {} to {} verified from the checkpoint at entry {from}", from + 1, v.through),
    }
}

pub async fn ledger(store: &dyn Store, command: Option<LedgerCommand>, now: DateTime<Utc>) -> Result<()> {
    match command.unwrap_or(LedgerCommand::Balance) {
        LedgerCommand::Balance => {
            let v = engine::books::verify(store, crate::actor(), false, now).await?;
            println!("{} journal entries; {}.", v.through, verified_range(&v));
            for (account, balance) in engine::books::trial_balance(store, crate::actor()).await? {
                println!("  {:<40} {:>24}", account.to_string(), balance.to_string());
            }
        }
        LedgerCommand::Verify { full } => {
            let started = std::time::Instant::now();
            let v = engine::books::verify(store, crate::actor(), full, now).await?;
            if v.entries_read == 0 {
                println!("{} journal entries; {}.", v.through, verified_range(&v));
                return Ok(());
            }
            println!(
                "{} journal entries; {}, every one in sequence and balanced; {} account sums agree; {} earlier \
                 checkpoints reproduced; {} ({:.1} s).",
                v.through,
                verified_range(&v),
                v.accounts_compared,
                v.checkpoints_reproduced,
                if v.checkpoint_kept { "a checkpoint was kept" } else { "no new checkpoint was needed" },
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

pub async fn licence(
    store: Option<&dyn Store>,
    command: LicenceCommand,
    passphrase: &Passphrase,
    now: DateTime<Utc>,
) -> Result<()> {
    let need_store = || store.context("this needs the store (check --database-url)");
    match command {
        LicenceCommand::RotateKey => {
            let key =
                licences::rotate_key(need_store()?, crate::actor(), passphrase.get()?, &engine::OsEntropy, now).await?;
            println!(
                "New signing key {} (public key {}); earlier keys are retired and stay published.",
                key.key_id, key.public_key
            );
        }
        LicenceCommand::Issue { licensee, output } => {
            let l = licences::issue_licence(need_store()?, crate::actor(), &licensee, passphrase.get()?, now).await?;
            let text = serde_json::to_string_pretty(&l.signed)? + "\n";
            match output {
                Some(path) => {
                    std::fs::write(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
                    println!(
                        "Licence {} for {} (agreement {} version {}) written to {}.",
                        l.id,
                        l.licensee,
                        l.agreement,
                        l.agreement_version,
                        path.display()
                    );
                }
                None => print!("{text}"),
            }
        }
        LicenceCommand::Verify { file, keys } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let verdict = match (keys, store) {
                (Some(path), _) => {
                    let published: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)
                        .with_context(|| format!("{} is not a keys file", path.display()))?;
                    let list = serde_json::from_value(published.get("keys").cloned().unwrap_or(published))?;
                    licences::verify_offline(list, &text)
                }
                (None, Some(store)) => licences::verify_online(store, crate::actor(), &text, now.date_naive()).await?,
                (None, None) => bail!("give --keys FILE (the society's published keys) or a store to verify against"),
            };
            println!("{}", serde_json::to_string_pretty(&verdict)?);
            if !verdict.signature_valid {
                bail!("the certificate does not verify");
            }
        }
        LicenceCommand::Keys => {
            let keys = licences::published_keys(need_store()?, crate::actor()).await?;
            println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "keys": keys }))?);
        }
    }
    Ok(())
}

/// The archive of report files that goes with a store: beside a SQLite file, or `tantiem-archive`.
pub fn default_archive(database_url: &str) -> PathBuf {
    crate::beside_store(database_url, "archive", "tantiem-archive")
}
