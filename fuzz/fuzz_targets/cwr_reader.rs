//! Fuzzes the CWR reader and the translation of every transaction: no input may panic.
//! Run: `cargo fuzz run cwr_reader` (on a stable toolchain: `RUSTC_BOOTSTRAP=1 cargo fuzz run cwr_reader`),
//! seeding the corpus with `crates/formats/tests/fixtures/cwr`.
#![no_main]

use formats::cwr::{Context, ReadOptions, Reader, read_ack, read_agreement, read_iswc_notice, read_work};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for strict in [false, true] {
        let Ok(mut reader) = Reader::open(data, ReadOptions { strict, ..ReadOptions::default() }) else { return };
        let header = reader.header().clone();
        let submitter = header.submitter();
        let rules = domain::SocietyRules::opt_in();
        let on = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
        let ctx = Context { version: header.version, submitter: &submitter, rules: &rules, territories: domain::Territories::cisac(), on };
        while let Ok(Some(tx)) = reader.next_transaction() {
            match tx.kind.as_str() {
                "NWR" | "REV" | "WRK" => drop(read_work(&tx, &ctx)),
                "ISW" | "ISA" => drop(read_iswc_notice(&tx)),
                "ACK" => drop(read_ack(&tx)),
                "AGR" => drop(read_agreement(&tx)),
                _ => {}
            }
        }
        drop(reader.finish());
    }
});
