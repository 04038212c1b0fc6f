//! Disclosure files written by others: Parquet manifests written by DuckDB and by pyarrow from the example
//! manifest, Chromaprint text printed by fpcalc, MLCommons' Croissant files; and the example manifest and
//! AI Act summary in `docs/examples`. Damaged files are refused, never a panic.

use expect_test::expect;
use formats::disclosure::croissant::read_croissant;
use formats::disclosure::summary::{AudioSize, read_summary};
use formats::disclosure::{
    DisclosureFileKind, ManifestFormat, ManifestItem, ManifestStats, chromaprint, read_manifest, read_manifest_parquet,
};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn example(name: &str) -> String {
    format!("{}/../../docs/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn csv_items() -> Vec<ManifestItem> {
    let bytes = std::fs::read(example("songfox-sf-1-manifest.csv")).unwrap();
    assert_eq!(DisclosureFileKind::detect(&bytes), Some(DisclosureFileKind::Manifest(ManifestFormat::Csv)));
    let mut items = Vec::new();
    let outcome = read_manifest(ManifestFormat::Csv, bytes.as_slice(), &mut |i| items.push(i));
    assert!(outcome.is_ok() && outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
    items
}

fn parquet_items(name: &str) -> Vec<ManifestItem> {
    let path = fixture(&format!("disclosure/{name}"));
    let head = std::fs::read(&path).unwrap();
    assert_eq!(DisclosureFileKind::detect(&head), Some(DisclosureFileKind::Manifest(ManifestFormat::Parquet)));
    let mut items = Vec::new();
    let outcome = read_manifest_parquet(std::fs::File::open(&path).unwrap(), &mut |i| items.push(i));
    assert!(outcome.is_ok() && outcome.diagnostics.is_empty(), "{name}: {:?}", outcome.diagnostics);
    items
}

/// The items without their position (a CSV line is one more than its Parquet row).
fn without_lines(items: Vec<ManifestItem>) -> Vec<ManifestItem> {
    items.into_iter().map(|i| ManifestItem { line: 0, ..i }).collect()
}

#[test]
fn the_example_manifest_reads_the_same_in_csv_and_in_parquet_from_two_writers() {
    let csv = csv_items();
    assert_eq!(csv.len(), 30);
    assert_eq!((csv[0].line, csv[29].line), (2, 31));
    let mut stats = ManifestStats::default();
    csv.iter().for_each(|i| stats.add(i));
    assert_eq!((stats.items, stats.identifiable, stats.with_valid_isrc, stats.duration_s_total), (30, 30, 5, 6905));
    assert_eq!(stats.sources.len(), 2);
    for writer in ["duckdb__songfox-sf-1-manifest.parquet", "pyarrow__songfox-sf-1-manifest.parquet"] {
        let parquet = parquet_items(writer);
        assert_eq!((parquet[0].line, parquet[29].line), (1, 30), "{writer}: rows are numbered from 1");
        assert_eq!(without_lines(parquet), without_lines(csv.clone()), "{writer}");
    }
}

#[test]
fn a_damaged_parquet_file_is_refused_without_a_panic() {
    let bytes = std::fs::read(fixture("disclosure/pyarrow__songfox-sf-1-manifest.parquet")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut refused = 0;
    for (n, cut) in [8, bytes.len() / 3, bytes.len() / 2, bytes.len() - 9, bytes.len() - 1].into_iter().enumerate() {
        let path = dir.path().join(format!("cut{n}.parquet"));
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let outcome = read_manifest_parquet(std::fs::File::open(&path).unwrap(), &mut |_| {});
        refused += usize::from(!outcome.is_ok());
    }
    assert_eq!(refused, 5, "every cut file is refused");
    // Bytes changed inside the file: refused or read, but never a panic; a change to a page header or the
    // footer's metadata is refused.
    let (mut tried, mut refused) = (0, 0);
    for at in (100..bytes.len() - 100).step_by(97) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x5a;
        let path = dir.path().join("flipped.parquet");
        std::fs::write(&path, &damaged).unwrap();
        let outcome = read_manifest_parquet(std::fs::File::open(&path).unwrap(), &mut |_| {});
        tried += 1;
        refused += usize::from(!outcome.is_ok());
    }
    assert!(refused > 0, "none of {tried} damaged files was refused");
}

#[test]
fn fpcalc_compressed_fingerprints_decode_to_its_raw_ones() {
    let text = std::fs::read_to_string(fixture("disclosure/fpcalc__wesnoth_battle_30-50s.txt")).unwrap();
    let raw = std::fs::read_to_string(fixture("disclosure/fpcalc__wesnoth_battle_30-50s.raw.txt")).unwrap();
    let field = |t: &str| t.lines().find_map(|l| l.strip_prefix("FINGERPRINT=")).unwrap().to_owned();
    let decoded = chromaprint::parse(&field(&text)).unwrap();
    let expected = chromaprint::parse(&field(&raw)).unwrap();
    assert_eq!(decoded.len(), 140);
    assert_eq!(decoded, expected);
    assert_eq!(chromaprint::encode(&expected), field(&text), "and encoding gives fpcalc's text back");
}

#[test]
fn the_example_summary_reads_with_its_bin_and_sources() {
    let bytes = std::fs::read(example("songfox-sf-1-summary.json")).unwrap();
    assert_eq!(DisclosureFileKind::detect(&bytes), Some(DisclosureFileKind::Document));
    let (summary, warnings) = read_summary(&bytes).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(summary.audio_size(), Some(AudioSize::Under10kHours));
    assert_eq!(summary.declared_totals.as_ref().and_then(|d| d.items), Some(30));
    assert_eq!(
        summary.named_sources(),
        vec!["freemusicarchive.org", "https://freemusicarchive.org", "songfox-licensed-catalogue"]
    );
}

#[test]
fn mlcommons_croissant_files() {
    let audio =
        read_croissant(&std::fs::read(fixture("croissant/mlcommons__1.1_audio_test_metadata.json")).unwrap()).unwrap();
    assert!(audio.has_audio());
    expect![[r#"
        CroissantDataset {
            name: "audio_test",
            description: Some(
                "This is the basic test case for audio files",
            ),
            license: None,
            url: None,
            creators: [],
            date_published: None,
            conforms_to: Some(
                "http://mlcommons.org/croissant/1.1",
            ),
            distribution: [
                Distribution {
                    kind: "FileSet",
                    name: Some(
                        "files",
                    ),
                    content_url: None,
                    encoding_format: Some(
                        "audio/mpeg",
                    ),
                    sha256: None,
                    includes: Some(
                        "data/*.mp3",
                    ),
                },
            ],
            record_sets: [
                RecordSet {
                    name: Some(
                        "records",
                    ),
                    fields: [
                        (
                            "audio",
                            "sc:AudioObject",
                        ),
                    ],
                },
            ],
            rai_fields: [],
        }
    "#]]
    .assert_debug_eq(&audio);
    let dices =
        read_croissant(&std::fs::read(fixture("croissant/mlcommons__1.0_dices-350_metadata.json")).unwrap()).unwrap();
    assert!(!dices.has_audio());
    assert_eq!(dices.name, "DICES-350_dataset");
    expect![[r#"["rai:annotatorDemographics", "rai:dataAnnotationAnalysis", "rai:dataAnnotationPlatform", "rai:dataAnnotationProtocol", "rai:dataBiases", "rai:dataCollection", "rai:dataCollectionRawData", "rai:dataCollectionType"] 2"#]].assert_eq(&format!("{:?} {:?}", dices.rai_fields, dices.distribution.len()));
    let output_records = std::fs::read(fixture("croissant/mlcommons__1.1_audio_test_output_records.jsonl")).unwrap();
    assert!(read_croissant(&output_records).is_err(), "records are not metadata");
}
