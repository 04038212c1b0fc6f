//! The production store: PostgreSQL. Owns its migrations; the queries are the shared ones of `store-sql`.
//!
//! Architecture invariant: nothing outside this crate knows the store is PostgreSQL.

use engine::store::{StoreError, StoreResult};
use sqlx::postgres::{PgPool, PgPoolOptions};

/// A Tantiem store in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `postgres://…` and brings the schema up to date.
    pub async fn connect(url: &str) -> StoreResult<PostgresStore> {
        let pool = PgPoolOptions::new().max_connections(8).connect(url).await.map_err(store_sql::database_error)?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(format!("migrating the PostgreSQL store: {e}")))?;
        Ok(PostgresStore { pool })
    }
}

store_sql::impl_store!(PostgresStore, sqlx::Postgres, "postgres");
store_sql::impl_licensing_store!(PostgresStore, sqlx::Postgres);
store_sql::impl_recording_store!(PostgresStore, sqlx::Postgres);
store_sql::impl_disclosure_store!(PostgresStore, sqlx::Postgres);
