//! The store story suite: each story runs on a fresh SQLite file and on a fresh PostgreSQL database, and
//! asserts literal outcomes for the real CWR files in `crates/formats/tests/fixtures/cwr`.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use engine::import::{AckSink, ImportOptions, ImportReport};
use engine::{ImportCounts, Store, import_cwr};
use expect_test::{expect, expect_file};
use formats::cwr::{ReadOptions, Reader};
use story_tests::{SharedBuffer, story};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).single().expect("a valid time")
}

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../formats/tests/fixtures/cwr/", $name)).as_slice()
    };
}

/// Imports `bytes` as file `name` and returns the report and the acknowledgement written (if any).
async fn import(store: &Arc<dyn Store>, name: &str, bytes: &[u8], dry_run: bool) -> (ImportReport, Vec<u8>) {
    import_with(store, name, bytes, ImportOptions { dry_run, ..ImportOptions::new(now(), "story") }).await
}

async fn import_with(
    store: &Arc<dyn Store>,
    name: &str,
    bytes: &[u8],
    options: ImportOptions,
) -> (ImportReport, Vec<u8>) {
    if store.society().await.expect("store answers").is_none() {
        engine::registry::initialise(store.as_ref(), story_tests::staff(), domain::SocietyCode::STIM, None)
            .await
            .expect("society set up");
    }
    let buffer = SharedBuffer::default();
    let sink_buffer = buffer.clone();
    let sink: AckSink<'_> = Box::new(move |_name: &str| Ok(Box::new(sink_buffer) as Box<dyn std::io::Write + Send>));
    let report =
        import_cwr(store, story_tests::staff(), bytes, name, options, sink, &|_| {}).await.expect("the file is CWR");
    (report, buffer.bytes())
}

/// One line per diagnostic: where, which record and field, how bad.
fn diagnostics(report: &ImportReport) -> String {
    report
        .diagnostics
        .iter()
        .map(|d| {
            format!(
                "{} {} {} {}\n",
                d.line,
                if d.record.is_empty() { "-" } else { &d.record },
                d.level.code(),
                d.field.unwrap_or("-")
            )
        })
        .collect()
}

fn counts(
    registered: u64,
    revised: u64,
    changed: u64,
    duplicates: u64,
    conflicts: u64,
    rejected: u64,
) -> (u64, u64, u64, u64, u64, u64) {
    (registered, revised, changed, duplicates, conflicts, rejected)
}

fn actual(c: &ImportCounts) -> (u64, u64, u64, u64, u64, u64) {
    (c.registered, c.revised, c.changed, c.duplicates, c.conflicts, c.rejected)
}

async fn dmp_nwr_with_modified_version(store: &Arc<dyn Store>) {
    let (report, ack) = import(store, "CW220001DMP_000.V21", fixture!("dmp__CW220001DMP_000.V21"), false).await;
    assert_eq!(actual(&report.counts), counts(1, 0, 0, 0, 0, 0));
    expect![""].assert_eq(&diagnostics(&report));
    assert!(!ack.is_empty());
    let work = store.work("T-123.456.789-4").await.expect("store answers").expect("registered by ISWC");
    assert_eq!(work.summary.title, "MUSIC PUB CARTOONS");
    let primary = work.primary().expect("a primary registration");
    let shares: Vec<(String, String, String, String)> = primary
        .work
        .interests
        .iter()
        .map(|i| {
            (
                i.name.clone(),
                i.ownership.performing.to_string(),
                i.ownership.mechanical.to_string(),
                i.ownership.synchronisation.to_string(),
            )
        })
        .collect();
    let expected = [
        ("TEST PUBLISHER", "37.50%", "75.00%", "75.00%"),
        ("", "12.50%", "25.00%", "25.00%"),
        ("KOLARIC", "25.00%", "0.00%", "0.00%"),
        ("OTHER", "25.00%", "0.00%", "0.00%"),
        ("", "0.00%", "0.00%", "0.00%"),
    ];
    let expected: Vec<_> =
        expected.iter().map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string())).collect();
    assert_eq!(shares, expected);
    assert_eq!(primary.work.alternate_titles.len(), 5);
}

async fn weso_nwr(store: &Arc<dyn Store>) {
    let (report, _) = import(store, "nwrexample2.V21", fixture!("weso__nwrexample2.V21"), false).await;
    assert_eq!(actual(&report.counts), counts(1, 0, 0, 0, 0, 0));
    expect![[r#"
        1 - W -
    "#]]
    .assert_eq(&diagnostics(&report));
    let found = store.search_works("the work", 10).await.expect("store answers");
    let work = store.work(&found[0].code).await.expect("store answers").expect("the work");
    let primary = work.primary().expect("primary");
    // THE SENDER (AM) collects the chain's shares in the World; JANE DOE (OWR) holds 50% of each right.
    let sender = primary.work.interests.iter().find(|i| i.name == "THE SENDER").expect("administrator");
    assert_eq!(sender.collection[0].shares.performing.to_string(), "25.00%");
    assert_eq!(sender.collection[0].shares.mechanical.to_string(), "50.00%");
    let jane = primary.work.interests.iter().find(|i| i.first_name == "JANE").expect("other writer");
    assert_eq!((jane.controlled, jane.ownership.performing.to_string()), (false, "50.00%".to_owned()));
}

async fn weso_rev_of_unknown_works(store: &Arc<dyn Store>) {
    let (report, _) = import(store, "revexample.V21", fixture!("weso__revexample.V21"), false).await;
    assert_eq!(actual(&report.counts), counts(0, 0, 0, 0, 0, 2));
    expect![[r#"
        3 REV TR submitter work #
        16 REV TR submitter work #
        1 - W -
    "#]]
    .assert_eq(&diagnostics(&report));
    assert_eq!(store.counts().await.expect("store answers").works, 0, "a rejected transaction stores nothing");
}

async fn max1m_agreements_and_duplicate(store: &Arc<dyn Store>) {
    let (report, _) = import(store, "sample_v21.V21", fixture!("max1m__sample_v21.V21"), false).await;
    // Two agreements, then the same NWR twice: the second is a duplicate.
    assert_eq!(actual(&report.counts), counts(1, 0, 1, 1, 0, 0));
    assert_eq!(report.counts.agreements, 2);
    expect![[r#"
        4 TER W record sequence #
        3 AGR FR agreement start date
        3 AGR FR agreement end date
        3 AGR FR Agreement Type
        7 AGR W transaction sequence #
        8 TER W record sequence #
        7 AGR FR agreement start date
        7 AGR FR agreement end date
        7 AGR FR Agreement Type
        13 NWR W transaction sequence #
        14 SPU W record sequence #
        18 SWR FR IPI base #
        23 NWR W transaction sequence #
        24 SPU W record sequence #
        28 SWR FR IPI base #
        11 GRT W transaction count
        11 GRT W record count
        12 GRH W group ID
        33 GRT W transaction count
        33 GRT W record count
        34 TRL W transaction count
        34 TRL W record count
    "#]]
    .assert_eq(&diagnostics(&report));
    let found = store.search_works("work name", 10).await.expect("store answers");
    assert_eq!(found.len(), 1);
    let work = store.work(&found[0].code).await.expect("store answers").expect("the work");
    let writer = &work.primary().expect("primary").work.interests[3];
    assert_eq!((writer.name.as_str(), writer.ownership.performing.to_string()), ("A NAME", "50.00%".to_owned()));
    // Collected in Mexico only (TIS 484).
    assert_eq!(writer.collection[0].tis, 484);
}

async fn weso_v22_bad_ipis_duplicate_iswc_and_unknown_revs(store: &Arc<dyn Store>) {
    let (report, _) = import(store, "demo_cwr_cleaned.v22", fixture!("weso__demo_cwr_cleaned.v22"), false).await;
    assert_eq!(report.version, "2.2");
    // KEY001, KEY002 and KEY008 are registered (all with dropped IPI numbers, so changed); six REVs name
    // works the society does not know; the ACK inside the file is read as a notification.
    assert_eq!(actual(&report.counts), counts(3, 0, 3, 0, 0, 6));
    assert_eq!(report.counts.notifications, 1);
    let text = diagnostics(&report);
    let bad_ipis = text.lines().filter(|l| l.ends_with("FR IPI name #")).count();
    assert_eq!(bad_ipis, 35);
    assert!(text.contains("9 NWR FR ISWC\n"), "the duplicate ISWC of KEY002 is dropped at field level");
    let unknown_revs: Vec<&str> = text.lines().filter(|l| l.ends_with("REV TR submitter work #")).collect();
    assert_eq!(
        unknown_revs,
        [
            "21 REV TR submitter work #",
            "31 REV TR submitter work #",
            "40 REV TR submitter work #",
            "49 REV TR submitter work #",
            "59 REV TR submitter work #",
            "82 REV TR submitter work #"
        ]
    );
    expect![[r#"
        3 NWR W -
        4 SPU FR IPI name #
        6 SWR FR IPI name #
        9 NWR W -
        20 XRF W record sequence #
        10 SPU FR IPI name #
        12 SWR FR IPI name #
        15 SWR FR IPI name #
        9 NWR FR ISWC
    "#]]
    .assert_eq(&text.lines().take(9).map(|l| format!("{l}\n")).collect::<String>());
    let work = store.work("T-012.345.678-9").await.expect("store answers").expect("KEY001 holds the ISWC");
    assert_eq!(work.summary.title, "MIDNIGHT SERENADE");
    let smith = &work.primary().expect("primary").work.interests[1];
    assert_eq!(
        (smith.name.as_str(), smith.ipi_name, smith.ownership.performing.to_string()),
        ("SMITH", None, "50.00%".to_owned())
    );
}

async fn cwr30_submission_and_isrc_request(store: &Arc<dyn Store>) {
    let (report, ack) =
        import(store, "CW220002DMP_0000_V3-0-0.SUB", fixture!("dmp__CW220002DMP_0000_V3-0-0.SUB"), false).await;
    assert_eq!(report.version, "3.0");
    assert_eq!(actual(&report.counts), counts(1, 0, 0, 0, 0, 0));
    expect![""].assert_eq(&diagnostics(&report));
    let work = store.work("T1234567894").await.expect("store answers").expect("registered");
    let publisher = &work.primary().expect("primary").work.interests[0];
    // CWR 3.0 states shares per territory only.
    assert_eq!(publisher.collection[0].shares.performing.to_string(), "37.50%");
    assert_eq!(publisher.societies.performing.map(|s| s.to_string()), Some("052".to_owned()));
    let text = String::from_utf8(ack).expect("ASCII");
    assert!(text.starts_with("HDRSO0079STIM"), "{}", &text[..40]);

    let (report, _) =
        import(store, "CW220003DMP_0000_V3-0-0.ISR", fixture!("dmp__CW220003DMP_0000_V3-0-0.ISR"), false).await;
    assert_eq!(actual(&report.counts), counts(0, 0, 0, 0, 0, 0));
    assert_eq!(report.counts.notifications, 1);
}

async fn society_acks_are_read_not_acted_on(store: &Arc<dyn Store>) {
    let (report, ack) = import(store, "CW220001000_DMP.V21", fixture!("dmp__CW220001000_DMP.V21"), false).await;
    assert!(ack.is_empty(), "no reply to a society's acknowledgement");
    assert_eq!(actual(&report.counts), counts(0, 0, 0, 0, 0, 0));
    let statuses: Vec<(String, String, String)> =
        report.acks_received.iter().map(|a| (a.title.clone(), a.status.clone(), a.society_work_code.clone())).collect();
    assert_eq!(
        statuses,
        [
            ("THE MODIFIED WORK".into(), "AS".into(), "337739ES".into()),
            ("THE WORK".into(), "AS".into(), "337739DU".into())
        ]
    );
    expect![[r#"
        26 GRT W transaction count
        27 TRL W transaction count
        1 - W -
    "#]]
    .assert_eq(&diagnostics(&report));

    let (report, _) = import(store, "CW220001052_DMP.V21", fixture!("dmp__CW220001052_DMP.V21"), false).await;
    let statuses: Vec<&str> = report.acks_received.iter().map(|a| a.status.as_str()).collect();
    assert_eq!(statuses, ["AS", "RA", "RA", "NP", "NP"]);
    // The two bad ISWCs (one of them twice) are dropped at field level; nothing changes.
    expect![[r#"
        10 ISW FR ISWC
        11 ISW FR ISWC
        12 ISW FR ISWC
        8 GRT W transaction count
        13 GRT W transaction count
        13 GRT W record count
        14 TRL W transaction count
        1 - W -
    "#]]
    .assert_eq(&diagnostics(&report));
    assert_eq!(report.counts.notifications, 8);

    let (report, _) = import(store, "sacm_ack_sample.txt", fixture!("labeltools__sacm_ack_sample.txt"), false).await;
    assert_eq!(report.acks_received.len(), 2);
    assert!(report.acks_received[0].messages[0].contains("ANON MESSAGE"));
    assert_eq!(store.counts().await.expect("store answers").works, 0);

    // An acknowledgement of a work we registered: its messages are in the outcome and in the work's history.
    let (registered, _) = import(store, "nwrexample2.V21", fixture!("weso__nwrexample2.V21"), false).await;
    let code = registered.outcomes[0].work_code.clone().expect("a code");
    let acks: String = String::from_utf8_lossy(fixture!("labeltools__sacm_ack_sample.txt"))
        .split_inclusive('\n')
        .map(|line| {
            if line.starts_with("ACK") && line.len() > 129 {
                format!("{}{:<20}{}", &line[..109], "CLAIMDIGITAL01", &line[129..])
            } else {
                line.to_owned()
            }
        })
        .collect();
    let (report, _) = import(store, "sacm_ack_ours.txt", acks.as_bytes(), false).await;
    assert_eq!(report.outcomes[0].work_code.as_deref(), Some(code.as_str()));
    assert!(report.outcomes[0].note.ends_with(": T NWR: ANON MESSAGE"), "{}", report.outcomes[0].note);
    let detail = store.work(&code).await.expect("store answers").expect("the work");
    let acked: Vec<&str> = detail.history.iter().filter(|r| r.change == "ACK").map(|r| r.summary.as_str()).collect();
    assert_eq!(acked.len(), 2, "{:?}", detail.history);
    assert!(acked[0].ends_with(": T NWR: ANON MESSAGE (from SAMPLE SOCIETY SO:123456789)"), "{}", acked[0]);
}

async fn identity_revisions_and_duplicates(store: &Arc<dyn Store>) {
    let nwr = fixture!("weso__nwrexample2.V21");
    let (first, _) = import(store, "nwrexample2.V21", nwr, false).await;
    let code = first.outcomes[0].work_code.clone().expect("a code");
    let (again, _) = import(store, "nwrexample2.V21", nwr, false).await;
    assert_eq!(actual(&again.counts), counts(0, 0, 0, 1, 0, 0));
    assert_eq!(again.outcomes[0].work_code.as_deref(), Some(code.as_str()));
    assert!(again.previously_imported.is_some());
    // The same work revised: REV with a new title, matched by submitter + submitter work number.
    let rev = String::from_utf8_lossy(nwr)
        .replace("GRHNWR", "GRHREV")
        .replace("NWR0000000000000000THE WORK    ", "REV0000000000000000THE NEW WORK");
    let (revised, _) = import(store, "rev.V21", rev.as_bytes(), false).await;
    assert_eq!(actual(&revised.counts), counts(0, 1, 0, 0, 0, 0));
    let work = store.work(&code).await.expect("store answers").expect("the work");
    assert_eq!(work.summary.title, "THE NEW WORK");
    let changes: Vec<(u32, &str)> = work.history.iter().map(|h| (h.revision, h.change.as_str())).collect();
    assert_eq!(changes, [(1, "NWR"), (2, "REV")]);
    assert_eq!(store.search_works("new work", 5).await.expect("store answers").len(), 1);
    assert!(store.search_works("the work", 5).await.expect("store answers").is_empty(), "titles follow the revision");
}

async fn conflicting_claims_are_kept(store: &Arc<dyn Store>) {
    import(store, "CW220001DMP_000.V21", fixture!("dmp__CW220001DMP_000.V21"), false).await;
    // The same work (by ISWC) from another submitter, whose controlled shares with the first exceed 100%.
    let (report, _) =
        import(store, "CW220002DMP_0000_V3-0-0.SUB", fixture!("dmp__CW220002DMP_0000_V3-0-0.SUB"), false).await;
    assert_eq!(actual(&report.counts), counts(0, 0, 0, 0, 1, 0));
    let work = store.work("T-123.456.789-4").await.expect("store answers").expect("the work");
    let statuses: Vec<(&str, &str, bool)> =
        work.registrations.iter().map(|r| (r.submitter.as_str(), r.status.as_str(), r.primary)).collect();
    assert_eq!(statuses, [("IPI:09000000020", "active", true), ("PB:DMP", "conflict", false)]);
    assert_eq!(store.counts().await.expect("store answers").conflicts, 1);
    assert_eq!(work.summary.title, "MUSIC PUB CARTOONS", "a conflicting claim changes nothing shown");
}

async fn acknowledgement_reads_back_strictly(store: &Arc<dyn Store>) {
    let original = fixture!("dmp__CW220001DMP_000.V21");
    let (report, ack) = import(store, "CW220001DMP_000.V21", original, false).await;
    assert_eq!(report.ack_file_name.as_deref(), Some("CW260001079_020.V21"));
    // Pinned byte for byte: every line ends in CRLF, and the text is the snapshot.
    let text = String::from_utf8(ack.clone()).expect("ASCII");
    assert_eq!(text.matches("\r\n").count(), text.matches('\n').count());
    expect_file!["../snapshots/CW220001DMP_000.ack.V21"].assert_eq(&text.replace("\r\n", "\n"));
    let mut reader =
        Reader::open(ack.as_slice(), ReadOptions { strict: true, ..ReadOptions::default() }).expect("an ACK is CWR");
    let mut transactions = Vec::new();
    while let Some(tx) = reader.next_transaction().expect("readable") {
        assert!(tx.diagnostics.is_empty(), "{:?}", tx.diagnostics);
        transactions.push(tx);
    }
    let summary = reader.finish();
    assert_eq!(summary.diagnostics, vec![], "the ACK must read back with zero diagnostics");
    assert_eq!(transactions.len(), 1);
    let echoed: Vec<&str> = transactions[0].records.iter().map(|r| r.record_type()).collect();
    // The ACK record, then every record of the original transaction.
    assert_eq!(echoed.len(), 1 + 20 - 2);
    assert_eq!(&echoed[..4], ["ACK", "NWR", "SPU", "SPT"]);
    let ack_record = transactions[0].header();
    assert_eq!(ack_record.field(158, 2), "AS");
    assert_eq!(ack_record.field(130, 20), report.outcomes[0].work_code.as_deref().expect("a code"));
}

async fn registry_queries_consent_and_origin(store: &Arc<dyn Store>) {
    import(store, "CW220001DMP_000.V21", fixture!("dmp__CW220001DMP_000.V21"), false).await;
    let found = store.search_works("music pub", 5).await.expect("store answers");
    assert_eq!(found.len(), 1);
    let code = found[0].code.clone();
    assert_eq!(
        store.search_works("MPC ACADEMY", 5).await.expect("store answers").len(),
        1,
        "alternate titles are searched"
    );

    let party = store.party("00000000199").await.expect("store answers").expect("KOLARIC by IPI");
    assert_eq!(party.party.name, "KOLARIC");
    assert_eq!(party.party.ipi_base.map(|b| b.to_string()), Some("I-123456789-3".to_owned()));
    let affiliations: Vec<String> =
        party.party.affiliations.iter().map(|a| format!("{} {}", a.right.abbreviation(), a.society)).collect();
    assert_eq!(affiliations, ["PR 010"]);
    assert_eq!(party.interests.len(), 1);

    // STIM reserves every stage until a rightsholder opts in.
    let detail = store.work(&code).await.expect("store answers").expect("the work");
    let today = now().date_naive();
    let before = engine::registry::licensed_shares(store.as_ref(), &detail, today).await.expect("computed");
    assert_eq!(before.iter().map(|s| s.licensed.to_string()).collect::<Vec<_>>(), ["0.00%", "0.00%", "0.00%"]);
    let request = engine::registry::ConsentRequest {
        party: "00000000199".into(),
        work: None,
        stages: vec![domain::Stage::Training],
        consent: domain::Consent::Included,
        effective_from: today,
        note: "opted in by letter".into(),
    };
    engine::registry::set_consent(store.as_ref(), story_tests::staff(), &request, "story", now())
        .await
        .expect("recorded");
    let after = engine::registry::licensed_shares(store.as_ref(), &detail, today).await.expect("computed");
    assert_eq!(after.iter().map(|s| s.licensed.to_string()).collect::<Vec<_>>(), ["25.00%", "0.00%", "0.00%"]);
    let yesterday = today.pred_opt().expect("a day");
    let earlier = engine::registry::licensed_shares(store.as_ref(), &detail, yesterday).await.expect("computed");
    assert_eq!(earlier[0].licensed.to_string(), "0.00%", "consent applies to models trained after it");
    assert_eq!(store.party("00000000199").await.expect("store answers").expect("party").consent.len(), 1);

    engine::registry::set_origin(
        store.as_ref(),
        story_tests::staff(),
        &code,
        domain::Origin::FullyAi,
        "story",
        now(),
        "declared by the publisher",
    )
    .await
    .expect("set");
    let detail = store.work(&code).await.expect("store answers").expect("the work");
    assert_eq!(detail.summary.origin, domain::Origin::FullyAi);
    assert_eq!(detail.history.last().map(|h| h.change.as_str()), Some("origin"));
    assert!(!detail.summary.origin.is_distributable());
}

async fn generated_repertoire_round_trip(store: &Arc<dyn Store>) {
    let mut generator = testkit::Generator::new(2026);
    let bytes = testkit::write_cwr21(Vec::new(), generator.works(400), "20261125").expect("written");
    // Small chunks: each chunk is decided while the one before is committed.
    let options = ImportOptions { chunk_size: 37, ..ImportOptions::new(now(), "story") };
    let (report, ack) = import_with(store, "generated.V21", &bytes, options).await;
    assert_eq!(actual(&report.counts), counts(400, 0, 0, 0, 0, 0));
    assert!(report.diagnostics.is_empty(), "{:?}", &report.diagnostics[..report.diagnostics.len().min(5)]);
    let mut reader =
        Reader::open(ack.as_slice(), ReadOptions { strict: true, ..ReadOptions::default() }).expect("an ACK");
    let mut acked = 0;
    while let Some(tx) = reader.next_transaction().expect("readable") {
        assert!(tx.diagnostics.is_empty(), "{:?}", tx.diagnostics);
        acked += 1;
    }
    assert_eq!((acked, reader.finish().diagnostics), (400, vec![]));
    let counts_after = store.counts().await.expect("store answers");
    assert_eq!(counts_after.works, 400);
    let (again, _) = import(store, "generated.V21", &bytes, false).await;
    assert_eq!(again.counts.duplicates, 400);
    assert_eq!(store.counts().await.expect("store answers"), counts_after, "a re-import stores nothing");
}

async fn dry_run_stores_nothing(store: &Arc<dyn Store>) {
    let (report, ack) = import(store, "CW220001DMP_000.V21", fixture!("dmp__CW220001DMP_000.V21"), true).await;
    assert_eq!(report.counts.registered, 1);
    assert!(ack.is_empty());
    let counts = store.counts().await.expect("store answers");
    assert_eq!((counts.works, counts.submissions), (0, 0));
}

async fn mandates_and_society_rules(store: &Arc<dyn Store>) {
    import(store, "CW220001DMP_000.V21", fixture!("dmp__CW220001DMP_000.V21"), false).await;
    let mandate = domain::Mandate {
        party: domain::PartyKey::new(""),
        society: domain::SocietyCode::STIM,
        rights: vec![domain::RightType::Performing],
        territories: vec![(true, domain::WORLD), (false, 840)],
        ai_stages: vec![domain::Stage::Training, domain::Stage::Output],
        valid_from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1),
        valid_until: None,
    };
    let recorded = engine::registry::add_mandate(store.as_ref(), story_tests::staff(), "00000000199", mandate)
        .await
        .expect("recorded");
    assert_eq!(recorded.party.as_str(), "IPI:00000000199");
    let party = store.party("IPI:00000000199").await.expect("store answers").expect("party");
    assert_eq!(party.mandates, vec![recorded]);
    assert!(
        engine::registry::add_mandate(store.as_ref(), story_tests::staff(), "00014107338", party.mandates[0].clone())
            .await
            .is_err(),
        "unknown party"
    );

    // Teosto-style rules: every stage included by mandate; the licensed share follows at once.
    let rules = domain::SocietyRules::by_mandate();
    let config =
        engine::registry::set_rules(store.as_ref(), story_tests::staff(), rules.clone()).await.expect("rules stored");
    assert_eq!(store.society().await.expect("store answers").expect("society").rules, rules);
    assert_eq!(config.rules, rules);
    let detail = store.work("T-123.456.789-4").await.expect("store answers").expect("work");
    let shares =
        engine::registry::licensed_shares(store.as_ref(), &detail, now().date_naive()).await.expect("computed");
    // The unnamed OWR holds 0%; every named holder's share is included.
    assert_eq!(shares.iter().map(|s| s.licensed.to_string()).collect::<Vec<_>>(), ["100.00%", "100.00%", "100.00%"]);
}

async fn revisions_keep_iswcs_and_never_create_works(store: &Arc<dyn Store>) {
    let nwr = String::from_utf8_lossy(fixture!("weso__nwrexample2.V21")).into_owned();
    // Register CLAIMDIGITAL01 with ISWC T-034.524.680-1.
    let with_iswc = nwr.replace("CLAIMDIGITAL01           ", "CLAIMDIGITAL01T0345246801");
    let (first, _) = import(store, "nwr.V21", with_iswc.as_bytes(), false).await;
    assert_eq!(first.counts.registered, 1);
    // A REV under another number of the same submitter, naming that ISWC: rejected, no new work.
    let other_number = with_iswc
        .replace("GRHNWR", "GRHREV")
        .replace("NWR0000000000000000", "REV0000000000000000")
        .replace("CLAIMDIGITAL01", "CLAIMDIGITAL99");
    let (report, _) = import(store, "rev.V21", other_number.as_bytes(), false).await;
    assert_eq!(actual(&report.counts), counts(0, 0, 0, 0, 0, 1));
    assert!(report.outcomes[0].note.contains("resend the REV with \"CLAIMDIGITAL01\""), "{}", report.outcomes[0].note);
    // A REV of the work naming a different ISWC: accepted with changes, the work keeps its ISWC.
    let other_iswc = with_iswc
        .replace("GRHNWR", "GRHREV")
        .replace("NWR0000000000000000THE WORK    ", "REV0000000000000000THE WORK II ")
        .replace("T0345246801", "T0000000010");
    let (report, _) = import(store, "rev2.V21", other_iswc.as_bytes(), false).await;
    assert_eq!(actual(&report.counts), counts(0, 1, 1, 0, 0, 0));
    let work = store.work("T-034.524.680-1").await.expect("store answers").expect("still found by its ISWC");
    assert_eq!(work.summary.title, "THE WORK II");
    assert_eq!(store.counts().await.expect("store answers").works, 1);
}

async fn iswc_notifications_assign_iswcs(store: &Arc<dyn Store>) {
    import(store, "nwrexample2.V21", fixture!("weso__nwrexample2.V21"), false).await;
    // A society notifies the ISWC of CLAIMDIGITAL01 (same layout as the BMI fixture's ISW records).
    let isw = [
        "HDRSO000000021BMI                                          01.102018060715153220180607",
        "GRHISW0000102.100020180607",
        &format!("ISW0000000000000000{:<60}  {:<14}{}", "THE WORK", "CLAIMDIGITAL01", "T0345246801"),
        &format!("ISW0000000100000000{:<60}  {:<14}{}", "NOBODY KNOWS", "UNKNOWN1", "T0000000010"),
        "GRT000010000000200000004",
        "TRL000010000000200000006",
    ]
    .join("\n");
    let (report, ack) = import(store, "CW180001021_199.V21", isw.as_bytes(), false).await;
    assert!(ack.is_empty(), "a society's notification gets no acknowledgement");
    assert_eq!((report.counts.iswcs_assigned, report.counts.notifications), (1, 1));
    let work = store.work("T-034.524.680-1").await.expect("store answers").expect("found by its new ISWC");
    assert_eq!(work.summary.title, "THE WORK");
    assert_eq!(work.history.last().map(|h| h.change.as_str()), Some("ISW"));
    // The same notice again changes nothing.
    let (again, _) = import(store, "CW180001021_199.V21", isw.as_bytes(), false).await;
    assert_eq!(again.counts.iswcs_assigned, 0);
}

story!(
    iswc_notifications_assign_iswcs,
    revisions_keep_iswcs_and_never_create_works,
    mandates_and_society_rules,
    dmp_nwr_with_modified_version,
    weso_nwr,
    weso_rev_of_unknown_works,
    max1m_agreements_and_duplicate,
    weso_v22_bad_ipis_duplicate_iswc_and_unknown_revs,
    cwr30_submission_and_isrc_request,
    society_acks_are_read_not_acted_on,
    identity_revisions_and_duplicates,
    conflicting_claims_are_kept,
    acknowledgement_reads_back_strictly,
    registry_queries_consent_and_origin,
    generated_repertoire_round_trip,
    dry_run_stores_nothing,
);
