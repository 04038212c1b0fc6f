//! Tantiem's HTTP server (axum). Public: the society's machine-readable offer (TDMRep, the ODRL policy,
//! AI preferences), the per-work lookup, the published keys and licence verification. For licensees: a
//! JSON API, each token scoped to one licensee, through which they submit reports and training disclosures
//! and read their reports, disclosures (with their matches), invoices and licences. The OpenAPI document at `/openapi.json` lists every route.
//!
//! Every request is logged as one structured line (`tracing`; the binary chooses text or JSON).
//!
//! Architecture invariant: handlers are glue between HTTP and the engine; they read the clock once per
//! request and pass it in, and never touch the database except through the engine's `Store`.

mod api;
mod auth;
mod cache;
mod connections;
mod disclosures;
mod error;
mod holders;
mod log;
pub mod openapi;
mod public;
pub mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use engine::Store;
use engine::licensing::Archive;

pub use error::ApiError;

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// The public base URL the offer points at (e.g. `https://ai.stim.se`).
    pub base_url: String,
    pub contact_email: String,
    /// Largest report upload, in bytes.
    pub max_report_bytes: usize,
    /// Largest disclosure file upload (a training manifest), in bytes.
    pub max_disclosure_bytes: usize,
    /// Requests per second allowed to each API token (with a burst of three seconds' worth).
    pub token_rate_per_second: u32,
    /// Requests per second allowed to each client address, on every route and before any token is looked
    /// up (with a burst of three seconds' worth): forged tokens and the public routes are limited too.
    pub client_rate_per_second: u32,
    /// How long a licence verdict may be served from the cache (under a second, so a suspension shows
    /// within one second).
    pub verdict_ttl: Duration,
    /// The fingerprint index file kept beside the store, for disclosures whose items carry fingerprints
    /// (`None`: built in memory when needed).
    pub audio_index: Option<std::path::PathBuf>,
    /// How often the server verifies the whole books while it runs (`None`: never; the first run is one
    /// period after start).
    pub verify_books_every: Option<Duration>,
    /// Connections served at once; one more is closed as soon as it is accepted.
    pub max_connections: usize,
    /// Connections served at once from one client address.
    pub max_connections_per_client: usize,
    /// How long a client may take to send a request's headers before its connection is closed.
    pub header_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: "http://localhost:8080".into(),
            contact_email: "ai-licensing@example.org".into(),
            max_report_bytes: 1 << 30,
            max_disclosure_bytes: engine::disclosure::intake::MAX_FILE_BYTES as usize,
            token_rate_per_second: 20,
            client_rate_per_second: 50,
            verdict_ttl: Duration::from_millis(500),
            audio_index: None,
            verify_books_every: None,
            max_connections: 1024,
            max_connections_per_client: 64,
            header_timeout: Duration::from_secs(10),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub archive: Archive,
    pub config: Arc<Config>,
    /// Random bytes for what the engine names (the operating system's in production).
    pub entropy: Arc<dyn engine::Entropy>,
    verdicts: Arc<cache::TtlCache<serde_json::Value>>,
    /// The AI-preferences statement reads many works: it is rebuilt at most once a minute.
    preferences: Arc<cache::TtlCache<String>>,
    limiter: Arc<auth::RateLimiter>,
    /// Requests per client address, counted before anything else is done for them.
    clients: Arc<auth::RateLimiter>,
    /// Disclosures being matched in the background, and those whose matching failed (with the error).
    disclosure_runs: disclosures::Runs,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AppState({})", self.store.backend())
    }
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, archive: Archive, config: Config) -> AppState {
        let limiter = Arc::new(auth::RateLimiter::new(config.token_rate_per_second));
        let clients = Arc::new(auth::RateLimiter::new(config.client_rate_per_second));
        let verdicts = Arc::new(cache::TtlCache::new(config.verdict_ttl));
        let preferences = Arc::new(cache::TtlCache::new(Duration::from_secs(60)));
        AppState {
            store,
            archive,
            config: Arc::new(config),
            entropy: Arc::new(engine::OsEntropy),
            verdicts,
            preferences,
            limiter,
            clients,
            disclosure_runs: disclosures::Runs::default(),
        }
    }
}

/// The periodic full verification of the books: every entry from the first, every checkpoint reproduced.
/// A failure is logged as an error (the books are wrong, not the server); the server goes on serving.
async fn verify_books_periodically(store: Arc<dyn Store>, every: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        ticks.tick().await;
        match engine::books::verify(store.as_ref(), &engine::Actor::operator("server"), true, chrono::Utc::now()).await
        {
            Ok(v) => tracing::info!(entries = v.through, accounts = v.accounts_compared, "the books verify in full"),
            Err(e) => tracing::error!(error = %e, "the books do not verify"),
        }
    }
}

/// Every route, with its limits.
pub fn router(state: AppState) -> Router {
    let max_report = state.config.max_report_bytes;
    Router::new()
        .merge(public::routes())
        .merge(api::routes().layer(DefaultBodyLimit::max(max_report)))
        // The upload streams its raw body into the archive, which enforces the disclosure limit itself.
        .merge(disclosures::upload_routes())
        .merge(disclosures::routes())
        .merge(holders::routes())
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::per_client))
        .layer(axum::middleware::from_fn(log::request))
        .with_state(state)
}

/// Serves until the process is stopped, verifying the books in the background when configured to.
pub async fn serve(state: AppState, address: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    serve_on(state, listener).await
}

/// Serves on a bound listener (a test binds port 0 and asks it which port it got).
pub async fn serve_on(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    if let Some(every) = state.config.verify_books_every {
        tokio::spawn(verify_books_periodically(Arc::clone(&state.store), every));
    }
    let connections = connections::Limits::new(state.config.max_connections, state.config.max_connections_per_client);
    let header_timeout = state.config.header_timeout;
    let app = router(state);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // A client that went away between connecting and being accepted, or too many open files for a
            // moment: not a reason to stop serving everyone else.
            Err(e) => {
                tracing::warn!(error = %e, "a connection could not be accepted");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(permit) = connections.admit(peer.ip()) else {
            tracing::warn!(client = %peer.ip(), "a connection over the limit was closed");
            continue;
        };
        // The peer's address rides on each request of the connection (what the per-client limit reads).
        let app = tower::ServiceExt::map_request(app.clone(), move |mut request: axum::extract::Request<_>| {
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            request
        });
        tokio::spawn(async move {
            let service = hyper_util::service::TowerToHyperService::new(app);
            // HTTP/1.1 only: it times out a connection that sends no headers from its first byte on (the
            // automatic HTTP/2 detection would wait for that first byte without a limit).
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(header_timeout);
            let io = hyper_util::rt::TokioIo::new(stream);
            if let Err(e) = builder.serve_connection(io, service).with_upgrades().await {
                tracing::debug!(error = %e, "a connection ended with an error");
            }
            drop(permit);
        });
    }
}
