//! No input makes a report reader panic: the example reports and the DSR fixture, with bytes flipped,
//! removed and inserted at random, go through every reader.

use formats::report::{ReportFormat, read_report};
use proptest::prelude::*;

const INPUTS: [&[u8]; 3] = [
    include_bytes!("../../../docs/examples/songfox-service-2026-03.json"),
    include_bytes!("../../../docs/examples/songfox-outputs-2026-03.csv"),
    include_bytes!("fixtures/dsr/ddexnet__DSR_TEST_YouTube_AdSupport-music_2015-Q4_IS_1of1_20160121T150926.tsv"),
];

const FORMATS: [ReportFormat; 5] = [
    ReportFormat::ServiceJson,
    ReportFormat::ServiceCsv,
    ReportFormat::OutputJsonLines,
    ReportFormat::OutputCsv,
    ReportFormat::Dsr,
];

fn mutate(input: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for &(at, kind, value) in edits {
        if bytes.is_empty() {
            bytes.push(value);
            continue;
        }
        let i = at % bytes.len();
        match kind % 3 {
            0 => bytes[i] = value,
            1 => {
                bytes.remove(i);
            }
            _ => bytes.insert(i, value),
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]
    #[test]
    fn mutated_reports_never_panic(input in 0usize..3, edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..12)) {
        let bytes = mutate(INPUTS[input], &edits);
        for format in FORMATS {
            let mut items = 0usize;
            let outcome = read_report(format, bytes.as_slice(), &mut |_| items += 1);
            // A reader either reads or says why not; it never goes silent on a file it cannot use.
            prop_assert!(outcome.is_ok() || !outcome.diagnostics.is_empty());
        }
        let _ = ReportFormat::detect(&bytes);
    }
}
