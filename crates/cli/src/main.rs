//! `tantiem`: the command line of Tantiem, for a society's staff. Glue only: it parses arguments, opens the
//! configured store, reads the clock and the operator's name, calls the engine, and prints what came back.

/// An import allocates and frees millions of small strings; mimalloc does that markedly faster than glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod audio;
mod commands;
#[cfg(feature = "demo")]
mod demo;
mod disclosure;
mod distribution;
mod licensing;
mod print;
mod recordings;
mod society;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use engine::Store;

/// Collective licensing of generative AI for music societies: repertoire, consent, licensing, distribution.
#[derive(Debug, Parser)]
#[command(name = "tantiem", version, about, long_about = None)]
struct Cli {
    /// The store: a SQLite file path (the default, `tantiem.db`), `sqlite:PATH`, or `postgres://…`.
    #[arg(long, global = true, env = "TANTIEM_DATABASE_URL", default_value = "tantiem.db")]
    database_url: String,
    /// Who is acting, recorded in every change's history.
    #[arg(long, global = true, env = "TANTIEM_OPERATOR", default_value = "operator")]
    operator: String,
    /// Where report files are kept as received (default: beside the SQLite file, `<file>.archive`).
    #[arg(long, global = true, env = "TANTIEM_ARCHIVE_DIR")]
    archive_dir: Option<PathBuf>,
    /// How log lines are written to stderr: `text` for people, `json` (one object per line) for a log
    /// collector. Which lines: `TANTIEM_LOG` (e.g. `info`, `engine=debug`; default: warnings, and one line
    /// per request when serving).
    #[arg(long, global = true, env = "TANTIEM_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Logs go to stderr, so what a command prints on stdout stays clean for pipes.
fn init_logging(format: LogFormat, serving: bool) {
    use tracing_subscriber::EnvFilter;
    // A batch command reads large result sets by design; sqlx's "slow statement" warning is noise there.
    let default = if serving { "warn,server=info" } else { "warn,sqlx::query=error" };
    let filter = EnvFilter::try_from_env("TANTIEM_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
    };
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the store (a SQLite file by default) and set up the society that runs it.
    Init(InitArgs),
    /// The main job on a fresh machine: create a store, import a generated repertoire and the real CWR
    /// fixture files, print what was registered, rejected and acknowledged, then license an example AI
    /// company end to end (agreement, reports, invoice, books, signed licence).
    #[cfg(feature = "demo")]
    Demo(demo::DemoArgs),
    /// Import files sent by publishers and societies.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Search and show works.
    #[command(subcommand)]
    Works(WorksCommand),
    /// Show parties (writers, publishers).
    #[command(subcommand)]
    Parties(PartiesCommand),
    /// Record and show rightsholders' AI consent per stage.
    #[command(subcommand)]
    Consent(commands::ConsentCommand),
    /// Show or change the society's rules (publisher PR cap, share tolerance, AI consent defaults); sister
    /// societies' API tokens.
    #[command(subcommand)]
    Society(society::SocietyCommand),
    /// Record which society represents which of a party's rights, where, for which AI stages.
    #[command(subcommand)]
    Mandate(society::MandateCommand),
    /// A member's API token, for reading their statements.
    #[command(subcommand)]
    Member(society::MemberCommand),
    /// Declare the origin of a work (human, AI-assisted, fully AI-generated).
    #[command(subcommand)]
    Origin(commands::OriginCommand),
    /// Recordings' audio fingerprints, and recognising audio against them.
    #[command(subcommand)]
    Audio(audio::AudioCommand),
    /// Recordings (from ERN and CWR REC), their works, origin and history.
    #[command(subcommand)]
    Recordings(recordings::RecordingsCommand),
    #[command(flatten)]
    Licensing(LicensingCommand),
    /// Distribution runs: the money paid and released for a period, down to every rightsholder.
    #[command(subcommand)]
    Distribution(distribution::DistributionCommand),
    /// Rightsholders' statements and sister societies' settlements.
    #[command(subcommand)]
    Statements(distribution::StatementsCommand),
    /// Money waiting for its owner, with its legal dates.
    #[command(subcommand)]
    Reserve(distribution::ReserveCommand),
    /// Claims to reserved money.
    #[command(subcommand)]
    Claim(distribution::ClaimCommand),
    /// The dilution index: AI output against what human creators received, per service and period.
    #[command(subcommand)]
    Dilution(distribution::DilutionCommand),
}

/// The licensing commands.
#[derive(Debug, Subcommand)]
enum LicensingCommand {
    /// AI companies the society licenses.
    #[command(subcommand)]
    Licensee(licensing::LicenseeCommand),
    /// A licensee's model versions.
    #[command(subcommand)]
    Model(licensing::ModelCommand),
    /// A licensee's services and the model versions behind them.
    #[command(subcommand)]
    Service(licensing::ServiceCommand),
    /// The blanket agreement and its versions.
    #[command(subcommand)]
    Agreement(licensing::AgreementCommand),
    /// Tariffs as data.
    #[command(subcommand)]
    Tariff(licensing::TariffCommand),
    /// Licensees' service and output reports.
    #[command(subcommand)]
    Report(licensing::ReportCommand),
    /// Invoices and credit notes.
    #[command(subcommand)]
    Invoice(licensing::InvoiceCommand),
    /// Payments received.
    #[command(subcommand)]
    Payment(licensing::PaymentCommand),
    /// The part of training fees held by the presumption rule.
    #[command(subcommand)]
    Presumption(licensing::PresumptionCommand),
    /// Training disclosures: manifests, AI Act summaries and Croissant files per model version, matched to
    /// the repertoire and assessed for transparency (the presumption rule where they fall short).
    #[command(subcommand)]
    Disclosure(disclosure::DisclosureCommand),
    /// The books: the trial balance (verified from the last checkpoint), or a verification.
    Ledger {
        #[command(subcommand)]
        command: Option<licensing::LedgerCommand>,
    },
    /// Signing keys and licence certificates.
    /// The signing key's passphrase comes from TANTIEM_KEY_PASSPHRASE.
    #[command(subcommand)]
    Licence(licensing::LicenceCommand),
    /// Per stage, how much of a work (by ISWC or ISRC) the society's AI licence includes.
    Lookup {
        id: String,
        #[arg(long, default_value = "the society's licensing department")]
        contact: String,
    },
    /// Run the HTTP server: the public offer, licence verification and the licensee API.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// The public base URL the offer points at.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base_url: String,
    #[arg(long, default_value = "ai-licensing@example.org")]
    contact: String,
    /// Largest report upload in bytes.
    #[arg(long, default_value_t = 1 << 30)]
    max_report_bytes: usize,
    /// Largest disclosure file upload (a training manifest) in bytes.
    #[arg(long, default_value_t = engine::disclosure::intake::MAX_FILE_BYTES as usize)]
    max_disclosure_bytes: usize,
    /// Requests per second per API token.
    #[arg(long, default_value_t = 20)]
    token_rate: u32,
    /// Requests per second per client address, on every route, before any token is looked up.
    #[arg(long, default_value_t = 50)]
    client_rate: u32,
    /// Connections served at once; more are closed as soon as they are accepted.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Connections served at once from one client address.
    #[arg(long, default_value_t = 64)]
    max_connections_per_client: usize,
    /// Seconds a client may take to send a request's headers before its connection is closed.
    #[arg(long, default_value_t = 10)]
    header_timeout_secs: u64,
    /// Hours between full verifications of the books while serving (0: none; run `tantiem ledger verify
    /// --full` from cron instead).
    #[arg(long, default_value_t = 24)]
    verify_books_hours: u64,
}

#[derive(Debug, Args)]
struct InitArgs {
    /// The society's CISAC code (079 STIM, 090 TONO, 040 KODA, 089 TEOSTO, 077 STEF, ...).
    #[arg(long, default_value = "079")]
    society: String,
    /// The society's name (defaults to the CISAC table's).
    #[arg(long)]
    name: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Import CWR files (2.1, 2.2, 3.0, 3.1): registers works, writes the acknowledgements.
    Cwr(commands::ImportCwrArgs),
    /// DDEX ERN release messages (3.8.2, 4.1.1, 4.2, 4.3): recordings and releases.
    Ern {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum WorksCommand {
    /// Find works by title (diacritics and case ignored), society code or ISWC.
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Show a work: registrations, shares per right type and territory, AI consent, recordings, history.
    Show(commands::WorkShowArgs),
}

#[derive(Debug, Subcommand)]
enum PartiesCommand {
    /// Show a party by IPI name number or party key: affiliations, works and shares, consent.
    Show {
        ipi_or_key: String,
        #[arg(long)]
        json: bool,
    },
}

/// A file kept beside the store: `<file>.<suffix>` beside a SQLite file, `for_postgres` in the working
/// folder for PostgreSQL.
pub fn beside_store(database_url: &str, suffix: &str, for_postgres: &str) -> PathBuf {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        return PathBuf::from(for_postgres);
    }
    let path =
        database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:")).unwrap_or(database_url);
    PathBuf::from(format!("{path}.{suffix}"))
}

/// The audio index file kept beside the store.
pub fn audio_index_of(database_url: &str) -> PathBuf {
    beside_store(database_url, "audio-index", "tantiem.audio-index")
}

/// Opens the store named by `url`: PostgreSQL for `postgres://` URLs, else a SQLite file.
pub async fn open_store(url: &str, create: bool) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = store_postgres::connect(url)
            .await
            .with_context(|| "cannot open the PostgreSQL store: check the URL and that the server runs")?;
        return Ok(Arc::new(store));
    }
    let path = PathBuf::from(url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url));
    let store =
        store_sqlite::open(&path, create).await.with_context(|| format!("cannot open the store {}", path.display()))?;
    Ok(Arc::new(store))
}

/// Who this process acts as: the society's operator named by `--operator`, for every command it runs.
static ACTOR: std::sync::OnceLock<engine::Actor> = std::sync::OnceLock::new();

/// The actor every use case this process calls is asked for (set once, before any command runs).
pub(crate) fn actor() -> &'static engine::Actor {
    ACTOR.get_or_init(|| engine::Actor::operator("operator"))
}

/// Errors are shown as their chain of causes, without a backtrace: what went wrong and what to do.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    quiet_on_closed_pipe();
    let cli = Cli::parse();
    let _ = ACTOR.set(engine::Actor::operator(&cli.operator));
    init_logging(cli.log_format, matches!(cli.command, Command::Licensing(LicensingCommand::Serve(_))));
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `tantiem … | head` closes stdout early; `println!` then panics with "Broken pipe". The reader has all it
/// wanted, so the process ends quietly with the status a shell gives a process ended by SIGPIPE (128 + 13),
/// as other command-line tools do. Any other panic keeps the default report.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

async fn run(cli: Cli) -> Result<()> {
    let now = chrono::Utc::now();
    match cli.command {
        Command::Init(args) => {
            let code = domain::SocietyCode::parse(&args.society)
                .with_context(|| format!("{:?} is not a CISAC society code (e.g. 079)", args.society))?;
            let store = open_store(&cli.database_url, true).await?;
            let society =
                engine::registry::initialise(store.as_ref(), crate::actor(), code, args.name.as_deref()).await?;
            println!(
                "Store ready ({}: {}) for {} ({}).",
                store.backend(),
                cli.database_url,
                society.name,
                society.code
            );
            Ok(())
        }
        #[cfg(feature = "demo")]
        Command::Demo(args) => {
            let archive = archive_of(&cli.database_url, cli.archive_dir.clone());
            demo::run(&cli.database_url, &archive, &cli.operator, args, now).await
        }
        Command::Import(ImportCommand::Ern { files }) => {
            let store = open_store(&cli.database_url, false).await?;
            recordings::import_ern(store.as_ref(), &files, now).await?;
            rematch_after_import(store.as_ref(), &cli.database_url, cli.archive_dir.clone(), &cli.operator, now).await
        }
        Command::Audio(command) => {
            let store = open_store(&cli.database_url, false).await?;
            audio::command(store.as_ref(), command, &cli.database_url, &cli.operator, now).await
        }
        Command::Recordings(command) => {
            let store = open_store(&cli.database_url, false).await?;
            recordings::command(store.as_ref(), command, &cli.operator, now).await
        }
        Command::Import(ImportCommand::Cwr(args)) => {
            let store = open_store(&cli.database_url, false).await?;
            let dry_run = args.dry_run;
            commands::import_cwr(&store, args, &cli.operator, now).await?;
            if dry_run {
                return Ok(());
            }
            rematch_after_import(store.as_ref(), &cli.database_url, cli.archive_dir.clone(), &cli.operator, now).await
        }
        Command::Works(WorksCommand::Search { text, limit, json }) => {
            let store = open_store(&cli.database_url, false).await?;
            let found = engine::registry::search_works(store.as_ref(), crate::actor(), &text, limit).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&found)?);
            } else {
                print::work_list(&found);
            }
            Ok(())
        }
        Command::Works(WorksCommand::Show(args)) => {
            let store = open_store(&cli.database_url, false).await?;
            commands::work_show(store.as_ref(), args, now).await
        }
        Command::Parties(PartiesCommand::Show { ipi_or_key, json }) => {
            let store = open_store(&cli.database_url, false).await?;
            let party = engine::registry::party(store.as_ref(), crate::actor(), &ipi_or_key).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&party)?);
            } else {
                print::party(&party);
            }
            Ok(())
        }
        Command::Consent(command) => {
            let store = open_store(&cli.database_url, false).await?;
            commands::consent(store.as_ref(), command, &cli.operator, now).await
        }
        Command::Society(command) => {
            let store = open_store(&cli.database_url, false).await?;
            society::society(store.as_ref(), command, now).await
        }
        Command::Member(command) => {
            let store = open_store(&cli.database_url, false).await?;
            society::member(store.as_ref(), command, now).await
        }
        Command::Mandate(command) => {
            let store = open_store(&cli.database_url, false).await?;
            society::mandate(store.as_ref(), command).await
        }
        Command::Origin(command) => {
            let store = open_store(&cli.database_url, false).await?;
            commands::origin(store.as_ref(), command, &cli.operator, now).await
        }
        Command::Licensing(command) => {
            licensing_command(&cli.database_url, cli.archive_dir.clone(), &cli.operator, command, now).await
        }
        Command::Distribution(command) => {
            let store = open_store(&cli.database_url, false).await?;
            distribution::distribution(store.as_ref(), command, now).await
        }
        Command::Statements(command) => {
            let store = open_store(&cli.database_url, false).await?;
            distribution::statements(store.as_ref(), command).await
        }
        Command::Reserve(command) => {
            let store = open_store(&cli.database_url, false).await?;
            distribution::reserve(store.as_ref(), command, now).await
        }
        Command::Claim(command) => {
            let store = open_store(&cli.database_url, false).await?;
            distribution::claim(store.as_ref(), command, now).await
        }
        Command::Dilution(command) => {
            let store = open_store(&cli.database_url, false).await?;
            distribution::dilution(store.as_ref(), command).await
        }
    }
}

/// Where licensing files (reports, disclosures) are kept as received.
fn archive_of(database_url: &str, archive_dir: Option<PathBuf>) -> engine::licensing::Archive {
    let archive =
        engine::licensing::Archive::new(archive_dir.unwrap_or_else(|| licensing::default_archive(database_url)));
    // Staging files an earlier, killed run left behind; an hour old, so another process's upload in progress
    // keeps its own.
    match archive.clean_staging(std::time::Duration::from_secs(3600)) {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "staging files left by an interrupted run were removed"),
        Err(e) => tracing::warn!(error = %e, "the archive's staging files could not be cleaned"),
    }
    archive
}

/// After an import the repertoire has grown: disclosures in force are matched again.
async fn rematch_after_import(
    store: &dyn Store,
    database_url: &str,
    archive_dir: Option<PathBuf>,
    operator: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let archive = archive_of(database_url, archive_dir);
    let cx = disclosure::Setting { archive: &archive, audio_index: audio_index_of(database_url), operator, now };
    disclosure::rematch_after_import(store, &cx).await
}

/// The licensing commands, each on the opened store.
async fn licensing_command(
    database_url: &str,
    archive_dir: Option<PathBuf>,
    operator: &str,
    command: LicensingCommand,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let archive = archive_of(database_url, archive_dir);
    let passphrase = licensing::Passphrase::from_env();
    if let LicensingCommand::Licence(licensing::LicenceCommand::Verify { file, keys: Some(keys) }) = command {
        // Offline verification needs no store at all.
        let verify = licensing::LicenceCommand::Verify { file, keys: Some(keys) };
        return licensing::licence(None, verify, &passphrase, now).await;
    }
    let store = open_store(database_url, false).await?;
    let s = store.as_ref();
    match command {
        LicensingCommand::Licensee(c) => licensing::licensee(s, c, now).await,
        LicensingCommand::Model(c) => licensing::model(s, c).await,
        LicensingCommand::Service(c) => licensing::service(s, c).await,
        LicensingCommand::Agreement(c) => licensing::agreement(s, c, now).await,
        LicensingCommand::Tariff(c) => licensing::tariff(s, c).await,
        LicensingCommand::Report(c) => licensing::report(s, &archive, c, operator, now).await,
        LicensingCommand::Invoice(c) => licensing::invoice(s, c, now).await,
        LicensingCommand::Payment(c) => licensing::payment(s, c, now).await,
        LicensingCommand::Presumption(c) => licensing::presumption(s, c, now).await,
        LicensingCommand::Disclosure(c) => {
            let cx =
                disclosure::Setting { archive: &archive, audio_index: audio_index_of(database_url), operator, now };
            disclosure::command(s, c, &cx).await
        }
        LicensingCommand::Ledger { command } => licensing::ledger(s, command, now).await,
        LicensingCommand::Licence(command) => licensing::licence(Some(s), command, &passphrase, now).await,
        LicensingCommand::Lookup { id, contact } => {
            let key = engine::licensing::offer::LookupKey::parse(&id)
                .with_context(|| format!("{id:?} is neither an ISWC nor an ISRC"))?;
            let works = engine::licensing::offer::lookup(s, crate::actor(), &key, &contact, now.date_naive()).await?;
            if works.is_empty() {
                anyhow::bail!("no work in the repertoire has {id}");
            }
            println!("{}", serde_json::to_string_pretty(&works)?);
            Ok(())
        }
        LicensingCommand::Serve(args) => {
            let config = server::Config {
                base_url: args.base_url,
                contact_email: args.contact,
                max_report_bytes: args.max_report_bytes,
                max_disclosure_bytes: args.max_disclosure_bytes,
                token_rate_per_second: args.token_rate,
                client_rate_per_second: args.client_rate,
                max_connections: args.max_connections,
                max_connections_per_client: args.max_connections_per_client,
                header_timeout: std::time::Duration::from_secs(args.header_timeout_secs.max(1)),
                audio_index: Some(audio_index_of(database_url)),
                verify_books_every: (args.verify_books_hours > 0)
                    .then(|| std::time::Duration::from_secs(args.verify_books_hours * 3600)),
                ..server::Config::default()
            };
            let state = server::AppState::new(store.clone(), archive, config);
            println!("Serving on http://{} ({} store). Stop with Ctrl-C.", args.listen, store.backend());
            server::serve(state, args.listen).await.with_context(|| format!("cannot serve on {}", args.listen))
        }
    }
}
