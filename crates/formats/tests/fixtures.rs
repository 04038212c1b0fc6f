//! Every CWR fixture (real files written by others) read in full: transactions, works with their shares per
//! right type and territory, and each diagnostic with line, record, field and level. Snapshots live in
//! `tests/snapshots/`; refresh them with `UPDATE_EXPECT=1 cargo test -p formats --test fixtures` and review
//! the diff like code.

mod common;

use expect_test::expect_file;
use formats::cwr::{ReadOptions, Reader};

#[test]
fn every_fixture_reads_as_its_snapshot() {
    for (name, bytes) in common::fixtures() {
        let report = common::read_everything(&bytes, ReadOptions::default());
        let path = format!("{}/tests/snapshots/{name}.txt", env!("CARGO_MANIFEST_DIR"));
        expect_file![path].assert_eq(&report);
    }
}

#[test]
fn strict_mode_reports_each_short_line() {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cwr/weso__revexample.V21"))
        .expect("fixture");
    let tolerant = common::read_everything(&bytes, ReadOptions::default());
    let strict = common::read_everything(&bytes, ReadOptions { strict: true, ..ReadOptions::default() });
    assert_eq!(tolerant.matches("shorter than").count(), 1, "one summary line in tolerant mode");
    assert_eq!(strict.matches("shorter than").count(), 16, "one diagnostic per short record in strict mode");
}

#[test]
fn files_without_a_usable_header_are_rejected_at_file_level() {
    let cases: [(&[u8], &str); 5] = [
        (b"", "empty"),
        (b"<?xml version=\"1.0\"?><NewReleaseMessage/>", "not a CWR file"),
        (b"HDRPB000000199THE SENDER", "truncated or damaged"),
        (b"HDRPB000000199THE SENDER                                   01.10XXXXXXXX", "truncated or damaged"),
        (b"\n\nGRHNWR0000102.100000000000", "not a CWR file"),
    ];
    for (bytes, expected) in cases {
        let error = Reader::open(bytes, ReadOptions::default()).expect_err("must be refused");
        let message = error.to_string();
        assert!(message.contains(expected), "{message:?} should say {expected:?}");
        let formats::cwr::OpenError::NotCwr(d) = error else { panic!("not an I/O error") };
        assert_eq!(d.level, formats::Level::File);
    }
}

#[test]
fn a_sender_type_outside_the_table_is_named() {
    let mut checked = 0;
    for (name, bytes) in common::fixtures().into_iter().filter(|(_, b)| b.starts_with(b"HDR")) {
        let whole = Reader::open(bytes.as_slice(), ReadOptions::default()).expect("reads").finish();
        assert!(!whole.diagnostics.iter().any(|d| d.message.contains("sender type")), "{name}: its own is valid");
        if bytes[3..5].iter().all(u8::is_ascii_digit) {
            continue;
        }
        let mut damaged = bytes.clone();
        damaged[3..5].copy_from_slice(b"XX");
        let summary = Reader::open(damaged.as_slice(), ReadOptions::default()).expect("still read").finish();
        let said = summary.diagnostics.iter().any(|d| d.message == "sender type \"XX\" is not one of PB, SO, AA, WR");
        assert!(said, "{name}: {:?}", summary.diagnostics);
        checked += 1;
    }
    assert!(checked >= 5, "{checked}");
}

#[test]
fn a_22_group_under_a_21_shaped_header_is_read_as_22() {
    let (_, whole) = common::fixtures().into_iter().find(|(n, _)| n == "weso__demo_cwr_cleaned.v22").expect("fixture");
    let text = String::from_utf8(whole).expect("ASCII");
    // The same file with its HDR cut to CWR 2.1's shape (no version, revision or software fields).
    let shaped_21: String = text
        .split_inclusive('\n')
        .map(|line| if line.starts_with("HDR") { format!("{}\n", line[..101].trim_end()) } else { line.to_owned() })
        .collect();
    let read = |bytes: &[u8]| {
        let mut reader = Reader::open(bytes, ReadOptions::default()).expect("reads");
        let mut txs = Vec::new();
        while let Some(tx) = reader.next_transaction().expect("reads") {
            txs.push(tx);
        }
        (reader.header().version, txs, reader.finish())
    };
    let (header_22, original, _) = read(text.as_bytes());
    let (header_21, shaped, summary) = read(shaped_21.as_bytes());
    assert_eq!((header_22, header_21), (formats::cwr::Version::V22, formats::cwr::Version::V21));
    assert!(!shaped.is_empty() && shaped.iter().all(|tx| tx.version == formats::cwr::Version::V22));
    assert!(summary.diagnostics.iter().any(|d| d.message.contains("the group's records are read as CWR 2.2")));
    let rules = domain::SocietyRules::opt_in();
    let on = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
    for (a, b) in original.iter().zip(&shaped) {
        let ctx = |version| formats::cwr::Context {
            version,
            submitter: "PB:DP1",
            rules: &rules,
            territories: domain::Territories::cisac(),
            on,
        };
        let (wa, wb) = (formats::cwr::read_work(a, &ctx(header_22)), formats::cwr::read_work(b, &ctx(header_21)));
        assert_eq!(wa.work, wb.work, "line {}", a.line());
    }
}

#[test]
fn a_cwr_file_in_utf16_is_refused_by_its_encoding() {
    for (name, bytes) in common::fixtures().into_iter().filter(|(n, _)| !n.ends_with(".md")) {
        let Ok(text) = String::from_utf8(bytes) else { continue };
        let units: Vec<u16> = text.encode_utf16().collect();
        let le: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        let be: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
        let bom_le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(le.iter().copied()).collect();
        for (bytes, expected) in [
            (le, "UTF-16 (little-endian)"),
            (be, "UTF-16 (big-endian)"),
            (bom_le, "UTF-16 (little-endian, with a byte-order mark)"),
        ] {
            let message = Reader::open(bytes.as_slice(), ReadOptions::default()).expect_err("refused").to_string();
            assert!(message.contains(&format!("the file is {expected}: ")), "{name}: {message}");
        }
    }
}

#[test]
fn latin1_and_utf8_names_are_read_by_character_position() {
    let header = "HDRPB000000199THE SENDER                                   01.102018032210203720180322";
    let group = "GRHNWR0000102.100000000000";
    let nwr = format!("NWR0000000000000000{:<60}{:<2}{:<14}", "SÅNGEN OM ØSTERSJØN", "", "A1");
    let swr = format!("SWR0000000000000001W1       {:<45}{:<30} CA", "SØRENSEN", "ÅSA");
    let text = format!("{header}\n{group}\n{nwr}\n{swr}\nGRT000010000000100000004\nTRL000010000000100000006\n");
    let latin1: Vec<u8> = text.chars().map(|c| u8::try_from(u32::from(c)).expect("Latin-1")).collect();
    for bytes in [text.as_bytes().to_vec(), latin1] {
        let report = common::read_everything(&bytes, ReadOptions::default());
        assert!(report.contains("work \"SÅNGEN OM ØSTERSJØN\" #A1"), "{report}");
        assert!(report.contains("\"SØRENSEN\""), "{report}");
    }
}
