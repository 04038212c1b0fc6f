//! What differs between the two databases beneath the shared SQL: how a writing transaction begins and locks
//! the rows it decides on, and how rows are written in bulk (`COPY … FROM STDIN` on PostgreSQL, multi-row
//! `INSERT`s kept under SQLite's bound-parameter limit; callers stream rows in chunks, neither path holds more
//! than one chunk).

use async_trait::async_trait;
use engine::store::StoreResult;
use sqlx::{Postgres, QueryBuilder, Sqlite};

use crate::{MAX_PARAMETERS, database_error as db};

/// Below this many rows PostgreSQL gets a plain INSERT.
const COPY_FROM_ROWS: usize = 64;

/// One value of a bulk row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Int(i64),
    Text(String),
    Null,
}

/// A database beneath the shared SQL.
#[async_trait]
pub trait Backend: sqlx::Database {
    /// Appended to a `SELECT` of rows a transaction decides on, to lock them until it ends. PostgreSQL locks
    /// the rows (`FOR UPDATE`); SQLite needs nothing, as a write transaction holds the whole database.
    const LOCK_ROWS: &'static str;

    /// Begins a transaction that reads, decides and writes. SQLite takes its write lock at the start
    /// (`BEGIN IMMEDIATE`): a deferred transaction that read first could not always upgrade to write, and two
    /// such would fail instead of queueing. PostgreSQL begins at READ COMMITTED; its row locks do the rest.
    async fn begin_write(pool: &sqlx::Pool<Self>) -> StoreResult<sqlx::Transaction<'static, Self>>;

    /// Writes many rows of one table inside the caller's transaction.
    async fn insert_rows(
        conn: &mut Self::Connection,
        table: &'static str,
        columns: &'static [&'static str],
        rows: &[Vec<Cell>],
    ) -> StoreResult<()>;
}

#[async_trait]
impl Backend for Sqlite {
    const LOCK_ROWS: &'static str = "";

    async fn begin_write(pool: &sqlx::Pool<Sqlite>) -> StoreResult<sqlx::Transaction<'static, Sqlite>> {
        pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)
    }

    async fn insert_rows(
        conn: &mut sqlx::SqliteConnection,
        table: &'static str,
        columns: &'static [&'static str],
        rows: &[Vec<Cell>],
    ) -> StoreResult<()> {
        insert_values::<Sqlite>(conn, table, columns, rows).await
    }
}

/// Multi-row INSERTs, each under the bound-parameter limit: SQLite's way, and PostgreSQL's for a few rows,
/// where a COPY's extra round trip would cost more than it saves.
async fn insert_values<DB>(
    conn: &mut DB::Connection,
    table: &'static str,
    columns: &'static [&'static str],
    rows: &[Vec<Cell>],
) -> StoreResult<()>
where
    DB: sqlx::Database + sqlx::database::HasStatementCache,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments: sqlx::IntoArguments<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for chunk in rows.chunks((MAX_PARAMETERS / columns.len()).max(1)) {
        let mut qb: QueryBuilder<DB> = QueryBuilder::new(format!("INSERT INTO {table} ({}) ", columns.join(", ")));
        qb.push_values(chunk, |mut b, row| {
            for cell in row {
                match cell {
                    Cell::Int(v) => b.push_bind(*v),
                    Cell::Text(v) => b.push_bind(v.clone()),
                    Cell::Null => b.push_bind(None::<i64>),
                };
            }
        });
        // Not kept in the statement cache: a column's null is bound as an integer and its value may be text,
        // so a statement prepared for one row shape must not be reused for another.
        qb.build().persistent(false).execute(&mut *conn).await.map_err(db)?;
    }
    Ok(())
}

#[async_trait]
impl Backend for Postgres {
    const LOCK_ROWS: &'static str = " FOR UPDATE";

    async fn begin_write(pool: &sqlx::Pool<Postgres>) -> StoreResult<sqlx::Transaction<'static, Postgres>> {
        pool.begin().await.map_err(db)
    }

    async fn insert_rows(
        conn: &mut sqlx::PgConnection,
        table: &'static str,
        columns: &'static [&'static str],
        rows: &[Vec<Cell>],
    ) -> StoreResult<()> {
        if rows.len() < COPY_FROM_ROWS {
            return insert_values::<Postgres>(conn, table, columns, rows).await;
        }
        let mut text = String::with_capacity(rows.len() * 16 * columns.len());
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    text.push('\t');
                }
                copy_text(&mut text, cell);
            }
            text.push('\n');
        }
        let statement = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
        let mut copy = conn.copy_in_raw(&statement).await.map_err(db)?;
        copy.send(text.into_bytes()).await.map_err(db)?;
        copy.finish().await.map_err(db)?;
        Ok(())
    }
}

/// A value in COPY's text format: `\N` for null, and backslash, tab, newline and carriage return escaped.
fn copy_text(out: &mut String, cell: &Cell) {
    match cell {
        Cell::Int(v) => {
            let _ = std::fmt::Write::write_fmt(out, format_args!("{v}"));
        }
        Cell::Null => out.push_str("\\N"),
        // Most values need no escape: copied whole.
        Cell::Text(v) if !v.bytes().any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r')) => out.push_str(v),
        Cell::Text(v) => {
            for c in v.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_copy_would_misread() {
        let mut out = String::new();
        copy_text(&mut out, &Cell::Text("a\tb\\c\nd\re".into()));
        out.push('|');
        copy_text(&mut out, &Cell::Null);
        out.push('|');
        copy_text(&mut out, &Cell::Int(-42));
        assert_eq!(out, "a\\tb\\\\c\\nd\\re|\\N|-42");
    }
}
