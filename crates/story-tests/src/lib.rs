//! Test harness for the store story suite: fresh, migrated, real databases for every test, SQLite in a
//! temporary file and PostgreSQL in a new database on the cluster `scripts/test` starts for the run.
//!
//! A missing PostgreSQL is a failure, never a skip: set `TANTIEM_TEST_POSTGRES_URL` (the test script does).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use engine::Store;

/// A store under test and whatever must live as long as it.
pub struct TestStore {
    pub store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for TestStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestStore({})", self.store.backend())
    }
}

pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store =
        store_sqlite::SqliteStore::open(&dir.path().join("tantiem.db"), true).await.expect("a fresh SQLite store");
    TestStore { store: Arc::new(store), _dir: Some(dir) }
}

static DATABASES: AtomicU32 = AtomicU32::new(0);

/// A fresh database on the test cluster.
pub async fn postgres() -> TestStore {
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
    let store =
        store_postgres::PostgresStore::connect(&format!("{base}/{name}")).await.expect("a migrated PostgreSQL store");
    TestStore { store: Arc::new(store), _dir: None }
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
