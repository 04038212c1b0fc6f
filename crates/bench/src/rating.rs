//! `bench rating`: the time and peak memory to take in and invoice one period of 10,000 service reports and
//! 10 million output-exploitation lines. Report files are generated (seeded) first; then, each in its own
//! child process so peak memory is per phase: intake of the service reports, intake of the output reports,
//! and the invoice run.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, TimeZone, Utc};
use domain::licensing::{AgreementStatus, Licensee, ModelVersion};
use domain::{Period, SocietyCode, Stage};
use engine::Store;
use engine::licensing::licensees::{self, Coverage};
use engine::licensing::reports::{self, Intake};
use engine::licensing::{AgreementTerms, Archive, invoicing};

const TERRITORIES: [&str; 5] = ["SE", "NO", "DK", "FI", "IS"];
const USE_TYPES: [&str; 2] = ["stream", "download"];

/// The benchmark's shape: how many licensees share the reports.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub service_reports: usize,
    pub output_lines: usize,
    pub licensees: usize,
    pub output_files: usize,
}

fn licensee_id(i: usize) -> String {
    format!("lic{i:04}")
}

/// Writes the report files: service reports spread over the licensees, output lines over `output_files`
/// files (one per licensee), ten lines (5 territories × 2 use types) per output.
/// Report files to submit: (licensee, path).
pub type Files = Vec<(String, PathBuf)>;

pub fn generate(dir: &Path, shape: Shape) -> Result<(Files, Files, u64)> {
    let mut bytes = 0u64;
    let service_dir = dir.join("service");
    std::fs::create_dir_all(&service_dir)?;
    let mut service = Vec::with_capacity(shape.service_reports);
    for r in 0..shape.service_reports {
        let licensee = licensee_id(r % shape.licensees);
        let path = service_dir.join(format!("s{r:05}.csv"));
        let mut out = BufWriter::new(std::fs::File::create(&path)?);
        writeln!(out, "report_id,period,currency,service,territory,model_version,net_revenue,subscribers,generations")?;
        for (t, territory) in TERRITORIES.iter().enumerate() {
            let revenue = 1_000 + (r * 7 + t * 13) % 9_000;
            writeln!(
                out,
                "S{r},2026-03,EUR,app{},{territory},m1,{revenue}.25,{},{}",
                r / shape.licensees,
                100 + r % 50,
                10_000 + t * 1_000
            )?;
        }
        out.flush()?;
        bytes += std::fs::metadata(&path)?.len();
        service.push((licensee, path));
    }
    let mut output = Vec::with_capacity(shape.output_files);
    let per_file = shape.output_lines / shape.output_files.max(1);
    for f in 0..shape.output_files {
        let path = dir.join(format!("outputs{f:02}.csv"));
        let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
        writeln!(
            out,
            "report_id,period,currency,output_id,service,model_version,created_on,isrc,use_type,territory,usages,revenue,provider,provider_version,confidence,influences"
        )?;
        for line in 0..per_file {
            let output_id = line / 10;
            let (t, u) = (line % 5, (line / 5) % 2);
            let attribution = if line % 10 == 0 {
                format!(
                    "Provider,1.0,0.8,isrc:SE5BU26{:05}=0.5|iswc:T070000{:04}=0.5",
                    output_id % 100_000,
                    output_id % 10_000
                )
            } else {
                ",,,".to_owned()
            };
            writeln!(
                out,
                "O{f},2026-03,EUR,g{output_id},app0,m1,2026-03-{:02},,{},{},{},{}.{:02},{attribution}",
                1 + output_id % 28,
                USE_TYPES[u],
                TERRITORIES[t],
                1 + line % 900,
                line % 3,
                line % 100
            )?;
        }
        out.flush()?;
        bytes += std::fs::metadata(&path)?.len();
        output.push((licensee_id(f % shape.licensees), path));
    }
    Ok((service, output, bytes))
}

/// Creates the licensees, each with a model, services and an agreement over all territories.
pub async fn set_up(store: &dyn Store, shape: Shape) -> Result<()> {
    engine::registry::initialise(store, crate::staff(), SocietyCode::STIM, None).await?;
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().context("a time")?;
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).context("a date")?;
    let services_per_licensee = shape.service_reports.div_ceil(shape.licensees);
    for i in 0..shape.licensees {
        let id = licensee_id(i);
        let licensee = Licensee {
            id: id.clone(),
            name: format!("Licensee {i}"),
            country: "SE".into(),
            vat_number: None,
            business_tier: "small".into(),
            contacts: vec![],
        };
        licensees::put_licensee(store, crate::staff(), licensee).await?;
        let model = ModelVersion {
            id: "m1".into(),
            licensee: id.clone(),
            name: "m".into(),
            version: "1".into(),
            base_models: vec![],
            trained_on: None,
            placed_on_eu_market: None,
            training_summary_url: None,
        };
        licensees::put_model_version(store, crate::staff(), model).await?;
        let mut services = Vec::new();
        for s in 0..services_per_licensee {
            let service = format!("app{s}");
            // Powered by m1 from the agreement's start (distribution follows the model versions behind a service).
            let models = Some((start, vec!["m1".to_owned()]));
            licensees::put_service(store, crate::staff(), &crate::id(&id), &service, "app", models).await?;
            services.push(service);
        }
        let coverage = Coverage {
            effective_from: start,
            stages: Stage::ALL.to_vec(),
            territories: TERRITORIES.iter().map(|t| (*t).to_owned()).collect(),
            societies: vec![SocietyCode::STIM],
            services,
            model_versions: vec!["m1".into()],
            use_types: USE_TYPES.iter().map(|u| (*u).to_owned()).collect(),
            term_until: None,
            status: AgreementStatus::Active,
        };
        let terms = AgreementTerms::new(rating::Tariff::illustrative(money::Currency::EUR)?);
        licensees::create_agreement(store, crate::staff(), &format!("A-{id}"), &crate::id(&id), coverage, terms, now)
            .await?;
    }
    Ok(())
}

/// Submits report files (licensee, path) and returns the lines read.
pub async fn intake(store: &dyn Store, archive: &Archive, files: &[(String, PathBuf)]) -> Result<u64> {
    let now = Utc.with_ymd_and_hms(2026, 4, 10, 12, 0, 0).single().context("a time")?;
    let mut lines = 0;
    for (licensee, path) in files {
        let file = std::fs::File::open(path)?;
        let licensee: domain::ids::LicenseeId = crate::id(licensee);
        let intake = Intake::new(&licensee, "bench", &engine::OsEntropy, now);
        let (submitted, _) = reports::submit_report(store, crate::staff(), archive, file, intake)
            .await
            .with_context(|| format!("{}", path.display()))?;
        lines += submitted.record().summary.lines;
    }
    Ok(lines)
}

/// Invoices the period for every licensee; returns the number of invoices.
pub async fn invoice(store: &dyn Store) -> Result<usize> {
    let now = Utc.with_ymd_and_hms(2026, 4, 15, 12, 0, 0).single().context("a time")?;
    let period = Period::month(2026, 3).context("a period")?;
    let run = invoicing::InvoiceRun { period, licensee: None, issued_on: now.date_naive(), now, rates: &[] };
    let outcomes = invoicing::run_invoices(store, crate::staff(), &run).await?;
    let issued = outcomes.iter().filter(|(_, o)| matches!(o, invoicing::RunOutcome::Issued(_))).count();
    if issued != outcomes.len() {
        bail!(
            "not every licensee was invoiced: {} of {}; first: {:?}",
            issued,
            outcomes.len(),
            outcomes.first().map(|o| &o.1)
        );
    }
    Ok(issued)
}

/// Reads the list of files a phase works on, written by the parent.
pub fn read_list(path: &Path) -> Result<Files> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.lines().filter_map(|l| l.split_once('\t')).map(|(l, p)| (l.to_owned(), PathBuf::from(p))).collect())
}

pub fn write_list(path: &Path, files: &[(String, PathBuf)]) -> Result<()> {
    let text: String = files.iter().map(|(l, p)| format!("{l}\t{}\n", p.display())).collect();
    std::fs::write(path, text)?;
    Ok(())
}

/// Opens the benchmark's store (the parent creates it fresh).
pub async fn open(dir: &Path, url: Option<&str>) -> Result<Arc<dyn Store>> {
    Ok(match url {
        Some(url) => Arc::new(store_postgres::connect(url).await?),
        None => Arc::new(store_sqlite::open(&dir.join("rating.db"), true).await?),
    })
}

/// The parent: generates, sets up, runs each phase in a child and prints the table.
pub fn run(me: &Path, args: &[String]) -> Result<()> {
    let mut shape = Shape { service_reports: 10_000, output_lines: 10_000_000, licensees: 100, output_files: 10 };
    let mut dir: Option<PathBuf> = None;
    let mut url: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--service-reports" => shape.service_reports = value.parse()?,
            "--output-lines" => shape.output_lines = value.parse()?,
            "--licensees" => shape.licensees = value.parse()?,
            "--dir" => dir = Some(PathBuf::from(value)),
            "--postgres-url" => url = Some(value),
            other => bail!(
                "unknown option {other}: bench rating [--service-reports N] [--output-lines N] [--licensees N] [--dir DIR] [--postgres-url URL]"
            ),
        }
        i += 2;
    }
    shape.output_files = shape.output_files.min(shape.licensees);
    let dir = dir.unwrap_or_else(|| std::env::temp_dir().join(format!("tantiem-bench-rating-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let t = Instant::now();
    let (service, output, bytes) = generate(&dir, shape)?;
    println!(
        "generated {} service reports and {} output lines in {} files ({:.1} MB) in {:.1} s",
        service.len(),
        shape.output_lines,
        output.len(),
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    write_list(&dir.join("service.list"), &service)?;
    write_list(&dir.join("output.list"), &output)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let t = Instant::now();
    runtime.block_on(async {
        let store = open(&dir, url.as_deref()).await?;
        set_up(store.as_ref(), shape).await
    })?;
    println!("set up {} licensees with agreements in {:.1} s", shape.licensees, t.elapsed().as_secs_f64());
    let mut rows = Vec::new();
    let labels = [
        format!("intake: {} service reports ({} lines)", shape.service_reports, shape.service_reports * 6),
        format!("intake: {} output-exploitation lines in {} files", shape.output_lines, output.len()),
        format!("invoice run: {} licensees", shape.licensees),
    ];
    for ((phase, lines), label) in [
        ("rating-service", (shape.service_reports * 6) as u64),
        ("rating-output", shape.output_lines as u64),
        ("rating-invoice", 0),
    ]
    .into_iter()
    .zip(labels)
    {
        let (seconds, peak, _) = crate::phase_child(me, phase, &dir, url.as_deref())?;
        eprintln!("  {phase}: {seconds:.2} s, peak {peak:.0} MiB");
        rows.push((label, seconds, lines, peak));
    }
    println!();
    println!("| phase ({}) | seconds | lines/s | peak memory |", if url.is_some() { "PostgreSQL" } else { "SQLite" });
    println!("|---|---:|---:|---:|");
    for (label, seconds, lines, peak) in &rows {
        let label = label.as_str();
        let rate = if *lines > 0 { format!("{:.0}", *lines as f64 / seconds) } else { "—".into() };
        println!("| {label} | {seconds:.2} | {rate} | {peak:.0} MiB |");
    }
    let total: f64 = rows.iter().map(|r| r.1).sum();
    println!("| total | {total:.2} | | |");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A child: one phase on the store in `dir`.
pub fn phase(name: &str, dir: &Path, url: Option<&str>) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let store = open(dir, url).await?;
        let archive = Archive::new(dir.join("archive"));
        match name {
            "rating-service" => drop(intake(store.as_ref(), &archive, &read_list(&dir.join("service.list"))?).await?),
            "rating-output" => drop(intake(store.as_ref(), &archive, &read_list(&dir.join("output.list"))?).await?),
            _ => drop(invoice(store.as_ref()).await?),
        }
        Ok(())
    })
}
