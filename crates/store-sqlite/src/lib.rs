//! The embedded store: one SQLite file, the default for a society starting out and for tests. Owns its
//! migrations, its connection settings and how an import locks the registry; the queries are the shared
//! ones of `store-sql`.
//!
//! Architecture invariant: nothing outside this crate knows the store is SQLite.

use std::path::Path;
use std::str::FromStr;

use std::path::PathBuf;
use std::sync::Arc;

use engine::store::{RegistryLock, StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use store_sql::{Pool, SqlStore};

/// What an import locks. For a file, a lock file beside it (`flock`, which another process and a process's
/// own second handle both wait on, and which dies with its process); in memory, a mutex.
#[derive(Debug, Clone)]
enum Registry {
    File(PathBuf),
    Memory(Arc<tokio::sync::Mutex<()>>),
}

/// Opens (and with `create`, creates) the store file and brings its schema up to date.
pub async fn open(path: &Path, create: bool) -> StoreResult<SqlStore> {
    if !create && !path.exists() {
        return Err(StoreError::NotInitialised);
    }
    let options = SqliteConnectOptions::new().filename(path).create_if_missing(create);
    connect_with(options).await
}

/// Opens a `sqlite:` URL (e.g. `sqlite::memory:` for tests).
pub async fn connect(url: &str) -> StoreResult<SqlStore> {
    let options = SqliteConnectOptions::from_str(url).map_err(store_sql::database_error)?.create_if_missing(true);
    connect_with(options).await
}

async fn connect_with(options: SqliteConnectOptions) -> StoreResult<SqlStore> {
    let file = options.get_filename();
    // sqlx names an in-memory database `file:sqlx-in-memory-N`; such a store has no file to lock beside.
    let name = file.to_string_lossy();
    let registry = if name.is_empty() || name.contains(":memory:") || name.contains("sqlx-in-memory") {
        Registry::Memory(Arc::default())
    } else {
        let mut name = file.as_os_str().to_owned();
        name.push(".registry-lock");
        Registry::File(PathBuf::from(name))
    };
    // WAL with NORMAL sync: durable at every commit boundary that matters for an import chunk, and
    // readers (the server) are not blocked by a running import.
    let options =
        options.journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Normal).foreign_keys(true);
    let pool =
        SqlitePoolOptions::new().max_connections(4).connect_with(options).await.map_err(store_sql::database_error)?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .map_err(|e| StoreError::Database(format!("migrating the SQLite store: {e}")))?;
    Ok(SqlStore::new(Pool::Sqlite(pool), Arc::new(registry)))
}

#[async_trait::async_trait]
impl store_sql::RegistryLocker for Registry {
    async fn lock(&self) -> StoreResult<RegistryLock> {
        match self {
            Registry::Memory(mutex) => Ok(RegistryLock(Box::new(Arc::clone(mutex).lock_owned().await))),
            Registry::File(path) => {
                let path = path.clone();
                let locked = tokio::task::spawn_blocking(move || {
                    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
                    file.lock()?;
                    Ok::<_, std::io::Error>(file)
                })
                .await
                .map_err(|e| StoreError::Database(format!("locking the registry: {e}")))?;
                // Closing the file (dropping the lock) releases it.
                let file = locked.map_err(|e| StoreError::Database(format!("locking the registry: {e}")))?;
                Ok(RegistryLock(Box::new(file)))
            }
        }
    }
}
