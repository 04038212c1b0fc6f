//! A CWR file cut off is never read as if it were whole: for every fixture, cut at every line of its last
//! transaction (before the GRT and TRL that close it), the transaction the file ends inside is rejected
//! (TR) and says why, and every transaction before it reads as it does in the whole file. Cut after the
//! GRT, the last transaction is closed and stands; only the missing TRL is reported.

mod common;

use formats::cwr::{ReadOptions, Reader, Transaction};

fn transactions(bytes: &[u8]) -> Vec<Transaction> {
    let Ok(mut reader) = Reader::open(bytes, ReadOptions::default()) else { return Vec::new() };
    let mut out = Vec::new();
    while let Ok(Some(tx)) = reader.next_transaction() {
        out.push(tx);
    }
    out
}

/// The bytes of the first `lines` lines, each with its line end.
fn first_lines(bytes: &[u8], lines: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for line in bytes.split_inclusive(|&b| b == b'\n').take(lines) {
        out.extend_from_slice(line);
    }
    out
}

const CUT_OFF: &str = "the file ends inside this transaction";

#[test]
fn the_transaction_a_file_ends_inside_is_rejected_and_the_others_stand() {
    let mut files = 0;
    let mut cuts = 0;
    for (name, bytes) in common::fixtures() {
        let whole = transactions(&bytes);
        let Some(last) = whole.last() else { continue };
        if last.diagnostics.iter().any(|d| d.message.starts_with(CUT_OFF)) {
            panic!("{name}: a whole file's last transaction is not cut off");
        }
        let (start, end) = (last.line() as usize, last.records.last().map_or(0, |r| r.line) as usize);
        files += 1;
        for keep in start..=end {
            let cut = transactions(&first_lines(&bytes, keep));
            let Some(read_last) = cut.last() else { continue };
            cuts += 1;
            assert_eq!(cut.len(), whole.len(), "{name} cut after line {keep}: the same transactions");
            assert!(read_last.is_rejected(), "{name} cut after line {keep}: the cut-off transaction is rejected");
            let why = read_last.diagnostics.iter().find(|d| d.message.starts_with(CUT_OFF));
            let why = why.unwrap_or_else(|| panic!("{name} cut after line {keep}: says why"));
            assert!(why.message.contains(&format!("its last record is on line {keep}")), "{}", why.message);
            for (a, b) in cut.iter().zip(&whole).take(whole.len() - 1) {
                assert_eq!(a.diagnostics, b.diagnostics, "{name} cut after line {keep}: line {}", a.line());
            }
        }
        // Cut after the group trailer: the last transaction was closed and stands.
        let closed = transactions(&first_lines(&bytes, end + 1));
        if let Some(read_last) = closed.last().filter(|_| closed.len() == whole.len()) {
            assert!(!read_last.diagnostics.iter().any(|d| d.message.starts_with(CUT_OFF)), "{name}: closed by its GRT");
        }
    }
    assert!(files >= 5 && cuts >= 10, "{files} files, {cuts} cuts");
}
