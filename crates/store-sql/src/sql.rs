//! The one small layer the shared store is written against: a pool, a transaction and a row over both
//! sqlx drivers, and values bound in each database's native type.
//!
//! The store's code is plain functions, not generic over `sqlx::Database` and not inside macros: sqlx's
//! generic executor and codec bounds cannot be bundled into one trait that the compiler carries into every
//! function (bounds on `&mut DB::Connection` are not implied), so a generic store repeats a dozen
//! `where` lines on every function. Here each query is built once as text and [`Value`]s and run by a
//! `match` on the database: SQLite gets timestamps as fixed-width RFC 3339 text (so they order as text) and
//! documents as JSON text; PostgreSQL gets `timestamptz` and `jsonb`. Rows are read by column name.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use engine::store::StoreResult;
use sqlx::postgres::{PgArgumentBuffer, PgPool, PgRow, PgTypeInfo, PgValueFormat, PgValueRef};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{AssertSqlSafe, Postgres, Row as _, Sqlite, TypeInfo as _, ValueRef as _};

use crate::{MAX_PARAMETERS, database_error as db, parse_timestamp, timestamp};

/// Below this many rows PostgreSQL gets a plain INSERT: a COPY's extra round trip would cost more than it
/// saves.
const COPY_FROM_ROWS: usize = 64;

/// A connection pool to one of the two databases.
#[derive(Debug, Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A transaction on one of the two databases; dropped without [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// What a query runs on: the pool (a connection of its own) or an open transaction.
#[derive(Debug)]
pub enum On<'a> {
    Pool(&'a Pool),
    Tx(&'a mut Tx),
}

impl<'a> From<&'a Pool> for On<'a> {
    fn from(pool: &'a Pool) -> On<'a> {
        On::Pool(pool)
    }
}

impl<'a> From<&'a mut Tx> for On<'a> {
    fn from(tx: &'a mut Tx) -> On<'a> {
        On::Tx(tx)
    }
}

impl Pool {
    /// The database's name, as the store reports it.
    pub fn backend(&self) -> &'static str {
        match self {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Begins a transaction that reads, decides and writes. SQLite takes its write lock at the start
    /// (`BEGIN IMMEDIATE`): a deferred transaction that read first could not always upgrade to write, and
    /// two such would fail instead of queueing. PostgreSQL begins at READ COMMITTED; the row locks a
    /// deciding query takes ([`Pool::lock_rows`]) do the rest.
    pub async fn begin_write(&self) -> StoreResult<Tx> {
        Ok(match self {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?),
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await.map_err(db)?),
        })
    }

    /// Appended to a `SELECT` of rows a transaction decides on, to lock them until it ends: `FOR UPDATE` on
    /// PostgreSQL; nothing on SQLite, whose write transaction holds the whole database.
    pub fn lock_rows(&self) -> &'static str {
        match self {
            Pool::Sqlite(_) => "",
            Pool::Postgres(_) => " FOR UPDATE",
        }
    }
}

impl Tx {
    pub async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await.map_err(db),
            Tx::Postgres(tx) => tx.commit().await.map_err(db),
        }
    }

    /// Writes many rows of one table: `COPY … FROM STDIN` on PostgreSQL from [`COPY_FROM_ROWS`] rows up,
    /// multi-row `INSERT`s under SQLite's bound-parameter limit otherwise. Callers stream rows in chunks, so
    /// neither path holds more than one chunk.
    pub async fn insert_rows(&mut self, table: &str, columns: &[&str], rows: &[Vec<Value>]) -> StoreResult<()> {
        if let Tx::Postgres(tx) = self
            && rows.len() >= COPY_FROM_ROWS
        {
            let text = copy_text(rows);
            let statement = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
            let mut copy = tx.copy_in_raw(&statement).await.map_err(db)?;
            copy.send(text.into_bytes()).await.map_err(db)?;
            copy.finish().await.map_err(db)?;
            return Ok(());
        }
        let per_statement = (MAX_PARAMETERS / columns.len().max(1)).max(1);
        for chunk in rows.chunks(per_statement) {
            let mut sql = Builder::new(format!("INSERT INTO {table} ({}) ", columns.join(", ")));
            sql.push_values(chunk, |row| row.clone());
            let mut query = sql.build();
            // Every full chunk has the same text: prepared once per connection, not once per chunk.
            query.persistent = chunk.len() == per_statement;
            query.execute(&mut *self).await?;
        }
        Ok(())
    }
}

/// One value bound to a query or written in bulk.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Text(String),
    /// A moment: `timestamptz` on PostgreSQL, RFC 3339 text with microseconds on SQLite.
    Time(DateTime<Utc>),
    /// A JSON document as text: `jsonb` on PostgreSQL, text on SQLite.
    Json(String),
    /// A null of the column's kind (PostgreSQL types every parameter, a null too).
    Null(Kind),
}

/// What kind of column a null is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
    Time,
    Json,
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}

impl From<DateTime<Utc>> for Value {
    fn from(v: DateTime<Utc>) -> Value {
        Value::Time(v)
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Value {
        v.map_or(Value::Null(Kind::Int), Value::Int)
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Value {
        v.map_or(Value::Null(Kind::Text), Value::Text)
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Value {
        v.map_or(Value::Null(Kind::Text), Value::from)
    }
}

impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Value {
        v.as_deref().into()
    }
}

impl From<Option<DateTime<Utc>>> for Value {
    fn from(v: Option<DateTime<Utc>>) -> Value {
        v.map_or(Value::Null(Kind::Time), Value::Time)
    }
}

/// A JSON document's text, read from or bound to a document column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document(pub String);

impl From<Document> for Value {
    fn from(v: Document) -> Value {
        Value::Json(v.0)
    }
}

impl From<Option<Document>> for Value {
    fn from(v: Option<Document>) -> Value {
        v.map_or(Value::Null(Kind::Json), Value::from)
    }
}

/// A query's text and the values bound to its `$1, $2, …`.
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it runs"]
pub struct Query {
    sql: Cow<'static, str>,
    /// The same text with anonymous `?` placeholders, for SQLite, when it was built (see [`Builder`]).
    sqlite_sql: Option<String>,
    values: Vec<Value>,
    /// Kept in each connection's statement cache (the default); a statement whose text varies with its
    /// input is not.
    persistent: bool,
}

/// A query of fixed or built text.
pub fn query(sql: impl Into<Cow<'static, str>>) -> Query {
    Query { sql: sql.into(), sqlite_sql: None, values: Vec::new(), persistent: true }
}

impl Query {
    pub fn bind(mut self, value: impl Into<Value>) -> Query {
        self.values.push(value.into());
        self
    }

    /// Runs the query and says how many rows it changed.
    pub async fn execute<'a>(self, on: impl Into<On<'a>>) -> StoreResult<u64> {
        Ok(match on.into() {
            On::Pool(Pool::Sqlite(pool)) => self.sqlite().execute(pool).await.map_err(db)?.rows_affected(),
            On::Pool(Pool::Postgres(pool)) => self.postgres().execute(pool).await.map_err(db)?.rows_affected(),
            On::Tx(Tx::Sqlite(tx)) => self.sqlite().execute(&mut **tx).await.map_err(db)?.rows_affected(),
            On::Tx(Tx::Postgres(tx)) => self.postgres().execute(&mut **tx).await.map_err(db)?.rows_affected(),
        })
    }

    pub async fn fetch_all<'a>(self, on: impl Into<On<'a>>) -> StoreResult<Vec<Row>> {
        Ok(match on.into() {
            On::Pool(Pool::Sqlite(pool)) => rows(self.sqlite().fetch_all(pool).await, Row::Sqlite)?,
            On::Pool(Pool::Postgres(pool)) => rows(self.postgres().fetch_all(pool).await, Row::Postgres)?,
            On::Tx(Tx::Sqlite(tx)) => rows(self.sqlite().fetch_all(&mut **tx).await, Row::Sqlite)?,
            On::Tx(Tx::Postgres(tx)) => rows(self.postgres().fetch_all(&mut **tx).await, Row::Postgres)?,
        })
    }

    /// Runs the query on a connection of the pool and hands each row to `each` as it arrives, so that a
    /// query of millions of rows never holds them all.
    pub async fn for_each(self, pool: &Pool, mut each: impl FnMut(Row) -> StoreResult<()>) -> StoreResult<()> {
        use futures::TryStreamExt as _;
        match pool {
            Pool::Sqlite(pool) => {
                let mut rows = self.sqlite().fetch(pool);
                while let Some(row) = rows.try_next().await.map_err(db)? {
                    each(Row::Sqlite(row))?;
                }
            }
            Pool::Postgres(pool) => {
                let mut rows = self.postgres().fetch(pool);
                while let Some(row) = rows.try_next().await.map_err(db)? {
                    each(Row::Postgres(row))?;
                }
            }
        }
        Ok(())
    }

    /// Runs the query and reads each row into a `T` as it arrives (the rows themselves are never all held).
    pub async fn fetch_map<T>(self, pool: &Pool, mut read: impl FnMut(&Row) -> StoreResult<T>) -> StoreResult<Vec<T>> {
        let mut out = Vec::new();
        self.for_each(pool, |row| {
            out.push(read(&row)?);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    pub async fn fetch_optional<'a>(self, on: impl Into<On<'a>>) -> StoreResult<Option<Row>> {
        Ok(match on.into() {
            On::Pool(Pool::Sqlite(pool)) => self.sqlite().fetch_optional(pool).await.map_err(db)?.map(Row::Sqlite),
            On::Pool(Pool::Postgres(pool)) => {
                self.postgres().fetch_optional(pool).await.map_err(db)?.map(Row::Postgres)
            }
            On::Tx(Tx::Sqlite(tx)) => self.sqlite().fetch_optional(&mut **tx).await.map_err(db)?.map(Row::Sqlite),
            On::Tx(Tx::Postgres(tx)) => self.postgres().fetch_optional(&mut **tx).await.map_err(db)?.map(Row::Postgres),
        })
    }

    pub async fn fetch_one<'a>(self, on: impl Into<On<'a>>) -> StoreResult<Row> {
        Ok(match on.into() {
            On::Pool(Pool::Sqlite(pool)) => Row::Sqlite(self.sqlite().fetch_one(pool).await.map_err(db)?),
            On::Pool(Pool::Postgres(pool)) => Row::Postgres(self.postgres().fetch_one(pool).await.map_err(db)?),
            On::Tx(Tx::Sqlite(tx)) => Row::Sqlite(self.sqlite().fetch_one(&mut **tx).await.map_err(db)?),
            On::Tx(Tx::Postgres(tx)) => Row::Postgres(self.postgres().fetch_one(&mut **tx).await.map_err(db)?),
        })
    }

    fn sqlite(self) -> sqlx::query::Query<'static, Sqlite, sqlx::sqlite::SqliteArguments> {
        let sql = match self.sqlite_sql {
            Some(text) => Cow::Owned(text),
            None => self.sql,
        };
        let mut q = sqlx::query(AssertSqlSafe(sql)).persistent(self.persistent);
        for value in self.values {
            q = match value {
                Value::Int(v) => q.bind(v),
                Value::Text(v) | Value::Json(v) => q.bind(v),
                Value::Time(v) => q.bind(timestamp(v)),
                Value::Null(_) => q.bind(None::<String>),
            };
        }
        q
    }

    fn postgres(self) -> sqlx::query::Query<'static, Postgres, sqlx::postgres::PgArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.sql)).persistent(self.persistent);
        for value in self.values {
            q = match value {
                Value::Int(v) => q.bind(v),
                Value::Text(v) => q.bind(v),
                Value::Time(v) => q.bind(v),
                Value::Json(v) => q.bind(Jsonb(v)),
                Value::Null(Kind::Int) => q.bind(None::<i64>),
                Value::Null(Kind::Text) => q.bind(None::<String>),
                Value::Null(Kind::Time) => q.bind(None::<DateTime<Utc>>),
                Value::Null(Kind::Json) => q.bind(None::<Jsonb>),
            };
        }
        q
    }
}

fn rows<R>(fetched: Result<Vec<R>, sqlx::Error>, wrap: fn(R) -> Row) -> StoreResult<Vec<Row>> {
    Ok(fetched.map_err(db)?.into_iter().map(wrap).collect())
}

/// SQL put together piece by piece, with `$n` placeholders numbered as values are pushed for PostgreSQL and
/// anonymous `?` for SQLite. (SQLite finds a named parameter's name by a linear scan, and sqlx asks for
/// every parameter's name as it binds: a statement of a few thousand `$n` costs millions of string
/// comparisons, anonymous ones none.) Built statements vary with their input, so they are not kept in the
/// statement cache.
#[derive(Debug, Clone)]
pub struct Builder {
    sql: String,
    sqlite: String,
    values: Vec<Value>,
}

impl Builder {
    pub fn new(sql: impl Into<String>) -> Builder {
        let sql = sql.into();
        Builder { sqlite: sql.clone(), sql, values: Vec::new() }
    }

    pub fn push(&mut self, sql: &str) -> &mut Builder {
        self.sql.push_str(sql);
        self.sqlite.push_str(sql);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn push_bind(&mut self, value: impl Into<Value>) -> &mut Builder {
        self.values.push(value.into());
        let n = self.values.len();
        self.sql.push('$');
        self.sql.push_str(&n.to_string());
        self.sqlite.push('?');
        self
    }

    /// Appends `$a, $b, …`, one placeholder per value.
    pub fn push_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Builder {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_bind(value);
        }
        self
    }

    /// Appends `VALUES (…), (…)`, one tuple per item, its values as `row` gives them.
    pub fn push_values<T>(&mut self, items: impl IntoIterator<Item = T>, mut row: impl FnMut(T) -> Vec<Value>) {
        self.push("VALUES ");
        for (i, item) in items.into_iter().enumerate() {
            self.push(if i == 0 { "(" } else { ", (" });
            self.push_list(row(item));
            self.push(")");
        }
    }

    pub fn build(self) -> Query {
        Query { sql: Cow::Owned(self.sql), sqlite_sql: Some(self.sqlite), values: self.values, persistent: false }
    }
}

/// A row of either database, read by column name.
#[derive(Debug)]
pub enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl Row {
    /// The column `name` as a `T`.
    pub fn get<T: Column>(&self, name: &str) -> StoreResult<T> {
        match self {
            Row::Sqlite(row) => T::sqlite(row, name),
            Row::Postgres(row) => T::postgres(row, name),
        }
        .map_err(db)
    }

    /// The column `name` as a count or number that cannot be negative.
    pub fn count(&self, name: &str) -> StoreResult<u64> {
        Ok(self.get::<i64>(name)?.max(0) as u64)
    }

    /// The document in column `name`, brought forward from the version it was written in.
    pub fn json<T: serde::de::DeserializeOwned>(&self, name: &str, what: &str) -> StoreResult<T> {
        crate::json(&self.get::<Document>(name)?.0, what)
    }

    /// The document in column `name`, if the column is not null.
    pub fn json_opt<T: serde::de::DeserializeOwned>(&self, name: &str, what: &str) -> StoreResult<Option<T>> {
        self.get::<Option<Document>>(name)?.map(|d| crate::json(&d.0, what)).transpose()
    }
}

/// A Rust value a column is read as.
pub trait Column: Sized {
    fn sqlite(row: &SqliteRow, name: &str) -> Result<Self, sqlx::Error>;
    fn postgres(row: &PgRow, name: &str) -> Result<Self, sqlx::Error>;
}

impl Column for i64 {
    fn sqlite(row: &SqliteRow, name: &str) -> Result<i64, sqlx::Error> {
        row.try_get(name)
    }
    fn postgres(row: &PgRow, name: &str) -> Result<i64, sqlx::Error> {
        row.try_get(name)
    }
}

impl Column for Option<i64> {
    fn sqlite(row: &SqliteRow, name: &str) -> Result<Option<i64>, sqlx::Error> {
        row.try_get(name)
    }
    fn postgres(row: &PgRow, name: &str) -> Result<Option<i64>, sqlx::Error> {
        row.try_get(name)
    }
}

impl Column for String {
    fn sqlite(row: &SqliteRow, name: &str) -> Result<String, sqlx::Error> {
        row.try_get(name)
    }
    fn postgres(row: &PgRow, name: &str) -> Result<String, sqlx::Error> {
        row.try_get(name)
    }
}

impl Column for Option<String> {
    fn sqlite(row: &SqliteRow, name: &str) -> Result<Option<String>, sqlx::Error> {
        row.try_get(name)
    }
    fn postgres(row: &PgRow, name: &str) -> Result<Option<String>, sqlx::Error> {
        row.try_get(name)
    }
}

impl Column for DateTime<Utc> {
    fn sqlite(row: &SqliteRow, name: &str) -> Result<DateTime<Utc>, sqlx::Error> {
        let text: String = row.try_get(name)?;
        parse_timestamp(&text).map_err(|e| decode_error(name, e))
    }
    fn postgres(row: &PgRow, name: &str) -> Result<DateTime<Utc>, sqlx::Error> {
        row.try_get(name)
    }
}

impl Column for Option<DateTime<Utc>> {
    fn sqlite(row: &SqliteRow, name: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        let text: Option<String> = row.try_get(name)?;
        text.map(|t| parse_timestamp(&t).map_err(|e| decode_error(name, e))).transpose()
    }
    fn postgres(row: &PgRow, name: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        row.try_get(name)
    }
}

impl Column for Document {
    fn sqlite(row: &SqliteRow, name: &str) -> Result<Document, sqlx::Error> {
        row.try_get(name).map(Document)
    }
    fn postgres(row: &PgRow, name: &str) -> Result<Document, sqlx::Error> {
        row.try_get::<Jsonb, _>(name).map(|j| Document(j.0))
    }
}

impl Column for Option<Document> {
    fn sqlite(row: &SqliteRow, name: &str) -> Result<Option<Document>, sqlx::Error> {
        Ok(row.try_get::<Option<String>, _>(name)?.map(Document))
    }
    fn postgres(row: &PgRow, name: &str) -> Result<Option<Document>, sqlx::Error> {
        Ok(row.try_get::<Option<Jsonb>, _>(name)?.map(|j| Document(j.0)))
    }
}

fn decode_error(column: &str, e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::ColumnDecode { index: column.to_owned(), source: e.to_string().into() }
}

/// JSON text bound to and read from a PostgreSQL `jsonb` column as it is, without parsing it into values
/// and writing it out again (the store's documents are written by `to_json` and read by `json`).
#[derive(Debug)]
struct Jsonb(String);

/// The version byte of `jsonb`'s binary form.
const JSONB_VERSION: u8 = 1;

impl sqlx::Type<Postgres> for Jsonb {
    fn type_info() -> PgTypeInfo {
        <sqlx::types::Json<()> as sqlx::Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <sqlx::types::Json<()> as sqlx::Type<Postgres>>::compatible(ty)
    }
}

impl sqlx::Encode<'_, Postgres> for Jsonb {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        buf.push(JSONB_VERSION);
        buf.extend_from_slice(self.0.as_bytes());
        Ok(sqlx::encode::IsNull::No)
    }
}

impl<'r> sqlx::Decode<'r, Postgres> for Jsonb {
    fn decode(value: PgValueRef<'r>) -> Result<Jsonb, sqlx::error::BoxDynError> {
        let binary_jsonb = value.format() == PgValueFormat::Binary && value.type_info().name() == "JSONB";
        let mut bytes = value.as_bytes()?;
        if binary_jsonb {
            match bytes.split_first() {
                Some((&JSONB_VERSION, rest)) => bytes = rest,
                _ => return Err("an unknown jsonb format version".into()),
            }
        }
        Ok(Jsonb(std::str::from_utf8(bytes)?.to_owned()))
    }
}

/// Rows in COPY's text format: a tab between values, `\N` for null, and backslash, tab, newline and
/// carriage return escaped.
fn copy_text(rows: &[Vec<Value>]) -> String {
    let mut out = String::with_capacity(rows.len() * 16 * rows.first().map_or(1, Vec::len));
    for row in rows {
        for (i, value) in row.iter().enumerate() {
            if i > 0 {
                out.push('\t');
            }
            copy_value(&mut out, value);
        }
        out.push('\n');
    }
    out
}

fn copy_value(out: &mut String, value: &Value) {
    match value {
        Value::Int(v) => out.push_str(&v.to_string()),
        Value::Null(_) => out.push_str("\\N"),
        Value::Time(v) => out.push_str(&timestamp(*v)),
        // Most values need no escape: copied whole.
        Value::Text(v) | Value::Json(v) if !v.bytes().any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r')) => {
            out.push_str(v)
        }
        Value::Text(v) | Value::Json(v) => {
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
        let rows = vec![vec![
            Value::Text("a\tb\\c\nd\re".into()),
            Value::Null(Kind::Text),
            Value::Int(-42),
            Value::Time(DateTime::from_timestamp(1_700_000_000, 5_000).unwrap()),
        ]];
        assert_eq!(copy_text(&rows), "a\\tb\\\\c\\nd\\re\t\\N\t-42\t2023-11-14T22:13:20.000005Z\n");
    }

    #[test]
    fn a_builder_numbers_its_placeholders_in_order() {
        let mut sql = Builder::new("INSERT INTO t (a, b) ");
        sql.push_values([(1, "x"), (2, "y")], |(a, b)| vec![Value::Int(a), b.into()]);
        sql.push(" ON CONFLICT DO NOTHING");
        let q = sql.build();
        assert_eq!(q.sql, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING");
        // SQLite gets the same text with anonymous placeholders (bound in order, without a name look-up).
        assert_eq!(q.sqlite_sql.as_deref(), Some("INSERT INTO t (a, b) VALUES (?, ?), (?, ?) ON CONFLICT DO NOTHING"));
        assert_eq!(q.values.len(), 4);
        assert!(!q.persistent);
    }
}
