//! The production store: PostgreSQL. Owns its migrations; the queries are the shared ones of `store-sql`.
//!
//! Architecture invariant: nothing outside this crate knows the store is PostgreSQL.

use std::sync::Arc;

use engine::store::{RegistryLock, StoreError, StoreResult};
use sqlx::postgres::{PgPool, PgPoolOptions};
use store_sql::{Pool, SqlStore};

/// Connects to `postgres://…` and brings the schema up to date.
pub async fn connect(url: &str) -> StoreResult<SqlStore> {
    let pool = PgPoolOptions::new().max_connections(8).connect(url).await.map_err(store_sql::database_error)?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .map_err(|e| StoreError::Database(format!("migrating the PostgreSQL store: {e}")))?;
    Ok(SqlStore::new(Pool::Postgres(pool.clone()), Arc::new(AdvisoryLock { pool })))
}

/// The registry's lock: a session advisory lock.
#[derive(Debug)]
struct AdvisoryLock {
    pool: PgPool,
}

#[async_trait::async_trait]
impl store_sql::RegistryLocker for AdvisoryLock {
    /// A session advisory lock on a connection of its own, taken out of the pool: closing it (dropping the
    /// lock, or the process dying) releases the lock on the server.
    async fn lock(&self) -> StoreResult<RegistryLock> {
        let mut connection = self.pool.acquire().await.map_err(store_sql::database_error)?.detach();
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(REGISTRY_LOCK)
            .execute(&mut connection)
            .await
            .map_err(store_sql::database_error)?;
        Ok(RegistryLock(Box::new(std::sync::Mutex::new(connection))))
    }
}

/// The advisory lock key of the registry ("TANTIEMR" as big-endian bytes, so no other application's key
/// is likely to collide).
const REGISTRY_LOCK: i64 = i64::from_be_bytes(*b"TANTIEMR");
