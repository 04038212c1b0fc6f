//! A process for the kill test: distributes one period on the store named (a SQLite file or a PostgreSQL
//! URL) as the stories' operator, at a fixed moment, and exits. The test kills it (SIGKILL) mid-run.
//!
//! Usage: `distribute STORE PERIOD`

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(url), Some(period)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: distribute STORE PERIOD");
        return ExitCode::FAILURE;
    };
    match distribute(url, period).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("distribute: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn distribute(url: &str, period: &str) -> Result<(), Box<dyn std::error::Error>> {
    let store: Box<dyn engine::Store> = if url.starts_with("postgres://") {
        Box::new(store_postgres::connect(url).await?)
    } else {
        Box::new(store_sqlite::open(std::path::Path::new(url), false).await?)
    };
    let period: domain::Period = period.parse()?;
    let now = chrono::DateTime::from_timestamp(1_780_000_000, 0).ok_or("a time")?;
    let request = engine::distribution::run::RunRequest { period, dry_run: false, now };
    engine::distribution::run::run(store.as_ref(), story_tests::staff(), request, &|_| {}).await?;
    Ok(())
}
