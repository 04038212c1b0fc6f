//! No input makes the CWR reader panic: every fixture, mutated record by record (truncated, extended, bytes
//! flipped, records swapped, duplicated and deleted), is read in full and every transaction translated.

mod common;

use formats::cwr::ReadOptions;

/// Deterministic mutations of one file: for every line, a set of damaged variants of the whole file.
fn mutations(bytes: &[u8]) -> Vec<Vec<u8>> {
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let join = |lines: &[Vec<u8>]| lines.join(&b'\n');
    let mut out = Vec::new();
    for i in 0..lines.len() {
        let line = lines[i];
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for cut in [0, 1, 3, 10, 19, 20, 50, 100, 150, line.len().saturating_sub(1)] {
            variants.push(line[..cut.min(line.len())].to_vec());
        }
        variants.push([line, b"X".repeat(400).as_slice()].concat());
        variants.push([line, &[0xC3, 0x28, 0xFF, 0x00, b'\r']].concat());
        for position in [0, 2, 3, 11, 19, 25, 60, 90, 120, 160] {
            for value in [b' ', b'9', b'X', 0x00, 0xFF, 0xC3] {
                if position < line.len() {
                    let mut flipped = line.to_vec();
                    flipped[position] = value;
                    variants.push(flipped);
                }
            }
        }
        for variant in variants {
            let mut all: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
            all[i] = variant;
            out.push(join(&all));
        }
        let mut deleted: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
        deleted.remove(i);
        out.push(join(&deleted));
        let mut duplicated: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
        duplicated.insert(i, line.to_vec());
        out.push(join(&duplicated));
        if i + 1 < lines.len() {
            let mut swapped: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
            swapped.swap(i, i + 1);
            out.push(join(&swapped));
        }
    }
    out
}

#[test]
fn no_mutation_of_any_fixture_makes_the_reader_panic() {
    let mut files = 0;
    for (_, bytes) in common::fixtures() {
        for mutated in mutations(&bytes) {
            for strict in [false, true] {
                let report = common::read_everything(&mutated, ReadOptions { strict, ..ReadOptions::default() });
                assert!(!report.is_empty());
            }
            files += 1;
        }
    }
    assert!(files > 10_000, "{files} mutated files read");
}

#[test]
fn tiny_limits_reject_instead_of_growing() {
    let (_, bytes) = common::fixtures().into_iter().find(|(n, _)| n.contains("demo_cwr")).expect("fixture");
    let report = common::read_everything(
        &bytes,
        ReadOptions {
            max_records_per_transaction: 3,
            max_line_chars: 200,
            max_diagnostics: 2,
            ..ReadOptions::default()
        },
    );
    assert!(report.contains("more than 3 records: rejected"), "{report}");
}

#[test]
fn a_file_without_line_ends_is_not_read_into_one_line() {
    let mut bytes =
        b"HDRPB000000199THE SENDER                                   01.102018032210203720180322\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'A', 5_000_000));
    bytes.extend_from_slice(b"\nTRL000000000000000000002\n");
    let report = common::read_everything(&bytes, ReadOptions::default());
    assert!(report.contains("line 2: RR: line is 5000001 bytes long"), "{report}");
}
