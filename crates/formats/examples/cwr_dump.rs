//! Prints what the CWR reader makes of a file: transactions, works and diagnostics (a debugging aid).
use std::io::BufReader;

use formats::cwr::{Context, ReadOptions, Reader, read_work};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for path in std::env::args().skip(1) {
        println!("== {path}");
        let file = BufReader::new(std::fs::File::open(&path)?);
        let mut reader = match Reader::open(file, ReadOptions::default()) {
            Ok(r) => r,
            Err(e) => {
                println!("  cannot open: {e}");
                continue;
            }
        };
        let header = reader.header().clone();
        println!("  {:?} submitter {}", header.version, header.submitter());
        let rules = domain::SocietyRules::opt_in();
        let ctx = Context {
            version: header.version,
            submitter: &header.submitter(),
            rules: &rules,
            territories: domain::Territories::cisac(),
            on: header.created.date(),
        };
        while let Some(tx) = reader.next_transaction()? {
            if matches!(tx.kind.as_str(), "NWR" | "REV" | "WRK") {
                let w = read_work(&tx, &ctx);
                println!(
                    "  {} line {} {:?} rejected={} changed={} interests={}",
                    tx.kind,
                    tx.line(),
                    w.work.title,
                    w.is_rejected(),
                    w.is_changed(),
                    w.work.interests.len()
                );
                for d in &w.diagnostics {
                    println!("    {d}");
                }
            } else {
                println!("  {} line {}", tx.kind, tx.line());
                for d in &tx.diagnostics {
                    println!("    {d}");
                }
            }
        }
        for d in reader.finish().diagnostics {
            println!("  file: {d}");
        }
    }
    Ok(())
}
