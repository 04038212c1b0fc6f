//! Test harness for the store story suite: fresh, migrated, real databases for every test, SQLite in a
//! temporary file and PostgreSQL in a new database on the cluster `scripts/test` starts for the run.
//!
//! A missing PostgreSQL is a failure, never a skip: set `TANTIEM_TEST_POSTGRES_URL` (the test script does).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use engine::Store;

/// The society's operator the stories act as (`story`).
pub fn staff() -> &'static engine::Actor {
    static STAFF: std::sync::OnceLock<engine::Actor> = std::sync::OnceLock::new();
    STAFF.get_or_init(|| engine::Actor::operator("story"))
}

/// One of Tantiem's own ids (a licensee, an invoice number, a disclosure), as a test writes it.
pub fn id<T>(text: &str) -> T
where
    T: std::str::FromStr<Err = domain::ids::IdError>,
{
    text.parse().unwrap_or_else(|e| panic!("{e}"))
}

/// Songfox, the licensee the stories set up first.
pub fn songfox() -> &'static domain::ids::LicenseeId {
    static SONGFOX: std::sync::OnceLock<domain::ids::LicenseeId> = std::sync::OnceLock::new();
    SONGFOX.get_or_init(|| id("songfox"))
}

/// Tunebird, the second licensee.
pub fn tunebird() -> &'static domain::ids::LicenseeId {
    static TUNEBIRD: std::sync::OnceLock<domain::ids::LicenseeId> = std::sync::OnceLock::new();
    TUNEBIRD.get_or_init(|| id("tunebird"))
}

/// A store under test and whatever must live as long as it.
pub struct TestStore {
    pub store: Arc<dyn Store>,
    /// Where another process finds the same store: the SQLite file's path or the PostgreSQL URL.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for TestStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestStore({})", self.store.backend())
    }
}

pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("tantiem.db");
    let store = store_sqlite::open(&path, true).await.expect("a fresh SQLite store");
    TestStore { store: Arc::new(store), url: path.display().to_string(), _dir: Some(dir) }
}

/// A store file written by an earlier schema, opened (and so migrated) by today's code.
pub async fn sqlite_from(file: &[u8]) -> TestStore {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("tantiem.db");
    std::fs::write(&path, file).expect("the old store is written");
    let store = store_sqlite::open(&path, false).await.expect("the old SQLite store migrates");
    TestStore { store: Arc::new(store), url: path.display().to_string(), _dir: Some(dir) }
}

static DATABASES: AtomicU32 = AtomicU32::new(0);

/// A fresh database on the test cluster.
pub async fn postgres() -> TestStore {
    postgres_from("").await
}

/// A fresh database on the test cluster, first loaded with `dump` (plain SQL, e.g. a `pg_dump --inserts` of a
/// store an earlier schema wrote), then opened (and so migrated) by today's code.
pub async fn postgres_from(dump: &str) -> TestStore {
    let url = std::env::var("TANTIEM_TEST_POSTGRES_URL").expect(
        "TANTIEM_TEST_POSTGRES_URL is not set: run the suite with scripts/test, which starts a PostgreSQL cluster for it",
    );
    let name = format!("tantiem_test_{}_{}", std::process::id(), DATABASES.fetch_add(1, Ordering::SeqCst));
    let mut admin =
        <sqlx::PgConnection as sqlx::Connection>::connect(&url).await.expect("the test cluster accepts connections");
    sqlx::Executor::execute(&mut admin, sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("a fresh database");
    let base = url.rsplit_once('/').map_or(url.as_str(), |(base, _)| base);
    let url = format!("{base}/{name}");
    if !dump.is_empty() {
        // On a connection of its own: a dump sets its session's search path, which a pool must not inherit.
        let mut loader = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
            .await
            .expect("the new database accepts connections");
        sqlx::raw_sql(sqlx::AssertSqlSafe(dump.to_owned())).execute(&mut loader).await.expect("the dump loads");
    }
    let store = store_postgres::connect(&url).await.expect("a migrated PostgreSQL store");
    TestStore { store: Arc::new(store), url, _dir: None }
}

/// A `Write` whose bytes can be read after it was handed away (to capture an acknowledgement).
#[derive(Debug, Clone, Default)]
pub struct SharedBuffer(pub Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().expect("not poisoned").clone()
    }
}

impl std::io::Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs the story `async fn $name(store: &Arc<dyn Store>)` as two tests, `$name::sqlite` and `$name::postgres`.
#[macro_export]
macro_rules! story {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let test = $crate::sqlite().await;
                super::$name(&test.store).await;
            }
            #[tokio::test]
            async fn postgres() {
                let test = $crate::postgres().await;
                super::$name(&test.store).await;
            }
        }
    )*};
}

/// Verifies the whole books from the first entry (every checkpoint reproduced, every account's stored sum
/// agreeing with the journal) and says how many entries there are; panics with the reason if they do not.
pub async fn books_verify(store: &dyn engine::Store) -> u64 {
    let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("a time");
    let full = engine::books::verify(store, staff(), true, at).await.expect("the books verify from the first entry");
    let incremental =
        engine::books::verify(store, staff(), false, at).await.expect("the books verify from the checkpoint");
    assert_eq!(full.through, incremental.through);
    full.through
}
