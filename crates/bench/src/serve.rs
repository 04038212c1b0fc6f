//! `bench serve`: licence verification over HTTP, measured with `wrk` on loopback, with the real store
//! behind the server (SQLite, then PostgreSQL). The server runs in this process on its own runtime; `wrk`
//! is a separate process. Two routes: POST the certificate to `/api/v1/licences/verify`, and GET
//! `/api/v1/licences/{id}`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use engine::Store;
use engine::licensing::{Archive, licences};

use crate::rating::{Shape, set_up};

struct Options {
    duration: u32,
    connections: u32,
    threads: u32,
    server_threads: usize,
    skip_postgres: bool,
    /// How long verdicts are cached (0: every request verifies and reads the store).
    verdict_ttl_ms: u64,
}

pub fn run(args: &[String]) -> Result<()> {
    let mut o = Options {
        duration: 10,
        connections: 64,
        threads: 1,
        server_threads: 2,
        skip_postgres: false,
        verdict_ttl_ms: 500,
    };
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--duration" => o.duration = value.parse()?,
            "--connections" => o.connections = value.parse()?,
            "--threads" => o.threads = value.parse()?,
            "--server-threads" => o.server_threads = value.parse()?,
            "--verdict-ttl-ms" => o.verdict_ttl_ms = value.parse()?,
            "--skip-postgres" => {
                o.skip_postgres = true;
                i += 1;
                continue;
            }
            other => bail!("unknown option {other}"),
        }
        i += 2;
    }
    Command::new("wrk").arg("--version").output().context("wrk is not installed (Debian package wrk)")?;
    let dir = std::env::temp_dir().join(format!("tantiem-bench-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut rows = Vec::new();
    rows.extend(measure(&o, &dir, "SQLite", None)?);
    if !o.skip_postgres {
        let cluster = dir.join("pg");
        let output = Command::new("scripts/pg-cluster")
            .arg("start")
            .arg(&cluster)
            .output()
            .context("scripts/pg-cluster (run from the repository root)")?;
        if !output.status.success() {
            bail!("scripts/pg-cluster failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        let url = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let result = measure(&o, &dir, "PostgreSQL", Some(&url));
        let _ = Command::new("scripts/pg-cluster").arg("stop").arg(&cluster).status();
        rows.extend(result?);
    }
    println!();
    println!(
        "wrk -t{} -c{} -d{}s on loopback; server on {} tokio worker threads; 2 cores shared by both; verdicts cached {} ms",
        o.threads, o.connections, o.duration, o.server_threads, o.verdict_ttl_ms
    );
    println!("| store | request | requests/s | p50 | p99 |");
    println!("|---|---|---:|---:|---:|");
    for r in rows {
        println!("| {} | {} | {:.0} | {} | {} |", r.0, r.1, r.2, r.3, r.4);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

type Row = (String, String, f64, String, String);

fn measure(o: &Options, dir: &Path, name: &str, url: Option<&str>) -> Result<Vec<Row>> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(o.server_threads).enable_all().build()?;
    let (port, licence) = runtime.block_on(async {
        let store: Arc<dyn Store> = match url {
            Some(url) => Arc::new(store_postgres::connect(url).await?),
            None => {
                let path = dir.join("serve.db");
                let _ = std::fs::remove_file(&path);
                Arc::new(store_sqlite::open(&path, true).await?)
            }
        };
        set_up(store.as_ref(), Shape { service_reports: 1, output_lines: 0, licensees: 1, output_files: 0 }).await?;
        let passphrase = "bench passphrase, not secret";
        licences::rotate_key(store.as_ref(), crate::staff(), passphrase, &engine::OsEntropy, Utc::now()).await?;
        let licence =
            licences::issue_licence(store.as_ref(), crate::staff(), &crate::id("lic0000"), passphrase, Utc::now())
                .await?;
        let config = server::Config {
            verdict_ttl: std::time::Duration::from_millis(o.verdict_ttl_ms),
            ..server::Config::default()
        };
        let state = server::AppState::new(store, Archive::new(dir.join("archive")), config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        tokio::spawn(async move { axum::serve(listener, server::router(state)).await });
        Ok::<_, anyhow::Error>((port, licence))
    })?;
    let body = dir.join("certificate.json");
    std::fs::write(&body, serde_json::to_string(&licence.signed)?)?;
    let script = dir.join("post.lua");
    std::fs::write(&script, post_script(&body)?)?;
    let base = format!("http://127.0.0.1:{port}");
    let verify = wrk(o, &format!("{base}/api/v1/licences/verify"), Some(&script))?;
    let status = wrk(o, &format!("{base}/api/v1/licences/{}", licence.id), None)?;
    drop(runtime);
    Ok(vec![
        (name.to_owned(), "POST /api/v1/licences/verify".into(), verify.0, verify.1, verify.2),
        (name.to_owned(), "GET /api/v1/licences/{id}".into(), status.0, status.1, status.2),
    ])
}

fn post_script(body: &PathBuf) -> Result<String> {
    let text = std::fs::read_to_string(body)?;
    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
    Ok(format!(
        "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = \"{escaped}\"\n"
    ))
}

/// Runs wrk and returns requests/s, p50 and p99 latency.
fn wrk(o: &Options, url: &str, script: Option<&Path>) -> Result<(f64, String, String)> {
    let mut command = Command::new("wrk");
    command
        .arg(format!("-t{}", o.threads))
        .arg(format!("-c{}", o.connections))
        .arg(format!("-d{}s", o.duration))
        .arg("--latency");
    if let Some(s) = script {
        command.arg("-s").arg(s);
    }
    let out = command.arg(url).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}");
    if text.contains("Non-2xx") {
        bail!("wrk saw errors from {url}:\n{text}");
    }
    let find =
        |prefix: &str| text.lines().map(str::trim).find_map(|l| l.strip_prefix(prefix)).map(|v| v.trim().to_owned());
    let rps: f64 = find("Requests/sec:").and_then(|v| v.parse().ok()).context("wrk printed no Requests/sec")?;
    Ok((rps, find("50%").unwrap_or_default(), find("99%").unwrap_or_default()))
}
