//! The real DSR fixtures, read as output exploitation, with literal expected figures.

use formats::report::{ReportItem, read_dsr};

fn read(name: &str) -> (Vec<ReportItem>, formats::report::ReadOutcome) {
    let path = format!("{}/tests/fixtures/dsr/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    let mut items = Vec::new();
    let outcome = read_dsr(bytes.as_slice(), &mut |i| items.push(i));
    (items, outcome)
}

#[test]
fn the_youtube_test_report_gives_three_resources_with_their_sales() {
    let (items, outcome) = read("ddexnet__DSR_TEST_YouTube_AdSupport-music_2015-Q4_IS_1of1_20160121T150926.tsv");
    assert!(outcome.is_ok(), "{:?}", outcome.diagnostics);
    assert_eq!(outcome.lines, 35);
    let ReportItem::Header(header) = &items[0] else { panic!("header first") };
    assert_eq!(
        (header.report_id.as_str(), header.period.to_string(), header.currency.code()),
        ("1453417766009915", "2015-Q4".to_owned(), "USD")
    );
    let outputs: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            ReportItem::Output(o) => Some(o),
            _ => None,
        })
        .collect();
    let summary: Vec<String> = outputs
        .iter()
        .map(|o| {
            let usages: u64 = o.exploitation.iter().map(|e| e.usages).sum();
            let revenue: i64 = o.exploitation.iter().map(|e| e.revenue.micros()).sum();
            format!(
                "{} {} {} lines {usages} usages {revenue} micros",
                o.output_id,
                o.isrc.as_deref().unwrap_or("-"),
                o.exploitation.len()
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "A935917475088049 USSM19803037 1 lines 7810 usages 2000000 micros",
            "A726198037646795 USUV71101875 1 lines 2045 usages 2000000 micros",
            "XMhY7hsbhs4 USRH10903879 4 lines 355 usages 3000000 micros",
        ]
    );
    assert!(outputs.iter().flat_map(|o| &o.exploitation).all(|e| e.use_type == "stream" && e.territory == "IS"));
}

#[test]
fn the_parser_test_file_is_rejected_with_reasons() {
    let (items, outcome) = read("ddexnet__test_file_parser.tsv");
    assert!(items.is_empty());
    let found: Vec<String> = outcome.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        found,
        [
            "line 3: W FHEA: record type \"FHEA\" is not a DSR record Tantiem knows; passed over",
            "line 6: ER AS02: the first block comes before a valid HEAD and SY02 summary",
            "line 7: W FFOO: record type \"FFOO\" is not a DSR record Tantiem knows; passed over",
            "line 7: ER FOOT: no FOOT record: the file is truncated; send it whole",
            "line 1: ER HEAD: no HEAD record: this is not a DSR file, or its start is missing",
        ]
    );
}

#[test]
fn a_truncated_report_or_wrong_counts_are_errors() {
    let path = format!(
        "{}/tests/fixtures/dsr/ddexnet__DSR_TEST_YouTube_AdSupport-music_2015-Q4_IS_1of1_20160121T150926.tsv",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let truncated: String = text.lines().take(20).map(|l| format!("{l}\n")).collect();
    let outcome = read_dsr(truncated.as_bytes(), &mut |_| {});
    assert_eq!(
        outcome.diagnostics.last().unwrap().to_string(),
        "line 20: ER FOOT: no FOOT record: the file is truncated; send it whole"
    );
    let dropped: String = text.lines().filter(|l| !l.starts_with("SU03.01\t3\tU4")).map(|l| format!("{l}\n")).collect();
    let outcome = read_dsr(dropped.as_bytes(), &mut |_| {});
    assert_eq!(
        outcome.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["line 34: ER FOOT: NumberOfLinesInFile says 35 but the file has 34: lines are missing or extra"]
    );
}
