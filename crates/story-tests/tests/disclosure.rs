//! The disclosure story on SQLite and PostgreSQL: an AI Act summary alone is no transparency and the
//! presumption part stays held; a complete manifest is full transparency and the part is credited back
//! (all but the fee its matched works make owed), both states in the journal; the hand-labelled set built
//! from the real CWR and ERN fixtures comes out exactly as labelled; people's decisions survive
//! re-matching and a rightsholder sees which model versions matched their works; a manifest with errors
//! is rejected whole, naming its lines; a disclosure is matched again when the repertoire grows.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use common::{ERN_FIXTURES, at, day, ern_fixture, set_up};
use domain::disclosure::Verdict;
use domain::licensing::{Licensee, ModelVersion};
use domain::{SocietyCode, Stage};
use engine::Store;
use engine::disclosure::decisions::{self, Resolution};
use engine::disclosure::intake::{self, FileSource, MAX_FILE_BYTES, Received, Submission};
use engine::disclosure::run::{self, MatchRun};
use engine::disclosure::{DeclaredTotals, DisclosureError, MatchStatus};
use engine::licensing::invoicing::{self, InvoiceRun, RunOutcome};
use engine::licensing::{Archive, licensees};
use ledger::{Account, PoolStage};
use money::{Amount, Currency};
use story_tests::story;

fn eur(text: &str) -> Amount {
    Amount::parse(text, Currency::EUR).expect("an amount")
}

async fn balance(store: &Arc<dyn Store>, account: Account) -> Amount {
    story_tests::books_verify(store.as_ref()).await;
    store.balance(&account, Currency::EUR).await.expect("a balance")
}

const SUMMARY: &str = include_str!("../../../docs/examples/songfox-sf-1-summary.json");

/// A folder for a story's files, with the archive inside it.
fn workspace() -> (tempfile::TempDir, Archive) {
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::new(dir.path().join("archive"));
    (dir, archive)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("written");
    path
}

fn submission<'a>(model: &'a str, files: &[PathBuf], declared: DeclaredTotals, now: DateTime<Utc>) -> Submission<'a> {
    Submission {
        licensee: story_tests::songfox(),
        model_version: model,
        files: files.iter().map(|p| FileSource::on_disk(p)).collect(),
        declared,
        received_by: "story",
        now,
        max_bytes: MAX_FILE_BYTES,
        progress: None,
        replace: false,
    }
}

/// A manifest of the first recordings of the generated repertoire `set_up` imports (as Songfox's licensed
/// catalogue), and five recordings from elsewhere: every item identifiable and sourced.
fn complete_manifest() -> (String, u64, u64) {
    let mut csv = String::from("item_id,isrc,title,artists,duration_s,source\n");
    let mut items = 0;
    let mut seconds = 0u64;
    for work in testkit::Generator::new(7).works(400).filter(|w| !w.recordings.is_empty()).take(60) {
        for r in work.recordings.iter().take(1) {
            items += 1;
            seconds += u64::from(r.duration_seconds);
            csv.push_str(&format!(
                "T{items:03},{},{},{},{},songfox-licensed-catalogue\n",
                if items % 3 == 0 { String::new() } else { r.isrc.to_string() },
                r.title.to_lowercase(),
                r.artist,
                r.duration_seconds
            ));
        }
    }
    for (i, (title, artist)) in [
        ("Glaciers", "Polar Hum"),
        ("Kaffe i Sjøen", "Bris & Bølge"),
        ("Aurora Over Tromsø", "Nora Fjell"),
        ("Intro", "Nora Fjell"),
        ("Salt", "Havet"),
    ]
    .into_iter()
    .enumerate()
    {
        items += 1;
        seconds += 200 + i as u64;
        csv.push_str(&format!("X{i:03},,{title},{artist},{},freemusicarchive.org\n", 200 + i));
    }
    (csv, items, seconds)
}

fn run_march(now: DateTime<Utc>) -> InvoiceRun<'static> {
    InvoiceRun {
        period: domain::Period::month(2026, 3).expect("a period"),
        licensee: Some("songfox"),
        issued_on: now.date_naive(),
        now,
        rates: &[],
    }
}

/// The presumption: March's invoice prices sf-1 and sf-2 on all 400 licensed works and holds 40.00 EUR
/// each. sf-1's AI Act summary alone is no transparency: still held. Its complete manifest is full
/// transparency: sf-1's 40.00 is settled, the fee for its N matched licensed works (N × 0.10) going to the
/// training pool and the rest credited back with 25% VAT; sf-2's 40.00 stays held.
async fn the_presumption_holds_on_a_summary_alone_and_is_credited_back_on_full_transparency(store: &Arc<dyn Store>) {
    set_up(store).await;
    let s = store.as_ref();
    let (dir, archive) = workspace();
    let RunOutcome::Issued(invoice) =
        invoicing::run_invoices(s, story_tests::staff(), &run_march(at(2026, 4, 15))).await.unwrap().remove(0).1
    else {
        panic!("an invoice")
    };
    assert_eq!(invoice.rated.presumption_held, eur("80"));
    let presumption = || Account::Presumption { licensee: "songfox".into() };
    let training_pool = || Account::Pool { stage: PoolStage::Training, period: "2026-03".into() };
    assert_eq!(balance(store, presumption()).await, eur("-80"));

    let summary = write(dir.path(), "summary.json", SUMMARY);
    let (received, set, assessment) = intake::submit(
        s,
        story_tests::staff(),
        &archive,
        submission("sf-1", std::slice::from_ref(&summary), DeclaredTotals::default(), at(2026, 5, 1)),
        None,
    )
    .await
    .unwrap();
    assert!(matches!(received, Received::New(ref d) if d.id == "D000001" && d.stats.items == 0));
    assert_eq!((set.counts.items, assessment.verdict), (0, Verdict::None));
    assert!(assessment.results.iter().all(|r| !r.met), "{:?}", assessment.results);
    assert!(assessment.settlements.is_empty());
    assert_eq!(balance(store, presumption()).await, eur("-80"), "a summary alone leaves the part held");

    let (csv, items, seconds) = complete_manifest();
    let manifest = write(dir.path(), "manifest.csv", &csv);
    let declared = DeclaredTotals { items: Some(items), milli_hours: Some(seconds * 1000 / 3600) };
    let (received, set, assessment) = intake::submit(
        s,
        story_tests::staff(),
        &archive,
        submission("sf-1", &[manifest.clone(), summary.clone()], declared, at(2026, 5, 2)),
        None,
    )
    .await
    .unwrap();
    let d = received.disclosure().clone();
    assert_eq!((d.id.as_str(), d.revision, d.stats.items, d.stats.identifiable), ("D000002", 2, 65, 65));
    assert_eq!(assessment.verdict, Verdict::Full, "{:#?}", assessment.results);
    assert_eq!((set.counts.matched, set.counts.unmatched), (60, 5), "{:?}", set.counts);
    let works = assessment.licensed_works_matched;
    assert_eq!(works, 60);
    assert_eq!(assessment.settlements.len(), 1, "{:?}", assessment.settlements);
    // 60 works × 0.10 = 6.00 owed by the disclosure itself; 34.00 credited back, with 8.50 VAT.
    assert_eq!(balance(store, presumption()).await, eur("-40"), "sf-2's part is still held");
    assert_eq!(balance(store, training_pool()).await, eur("-10006"));
    assert_eq!(
        balance(store, Account::Receivable { licensee: "songfox".into() }).await,
        eur("12600").checked_sub(eur("42.50")).unwrap()
    );
    // Under STIM's opt-in default every matched work's training share is reserved: unlicensed use, flagged.
    assert_eq!(assessment.unlicensed_works, 60);
    assert_eq!(assessment.unlicensed[0].reserved, money::Share::ONE);
    assert_eq!(assessment.consent_as_of, day(2026, 2, 1));

    // The same files again: nothing new, nothing posted.
    let entries = store.journal_length().await.unwrap();
    let declared = DeclaredTotals { items: Some(items), milli_hours: Some(seconds * 1000 / 3600) };
    let (again, _, _) = intake::submit(
        s,
        story_tests::staff(),
        &archive,
        submission("sf-1", &[summary, manifest], declared, at(2026, 5, 3)),
        None,
    )
    .await
    .unwrap();
    assert!(matches!(again, Received::AlreadyReceived(ref d) if d.id == "D000002"));
    assert_eq!(store.journal_length().await.unwrap(), entries);
    // Assessing again settles nothing twice.
    let again = engine::disclosure::assess::assess(
        s,
        story_tests::staff(),
        &story_tests::id("D000002"),
        "story",
        at(2026, 5, 4),
    )
    .await
    .unwrap();
    assert!(again.settlements.is_empty());
    assert_eq!(store.journal_length().await.unwrap(), entries);
    // The superseded summary-only disclosure is kept, not in force.
    let all = store.disclosures(Some("songfox")).await.unwrap();
    assert_eq!(
        all.iter().map(|d| (d.id.as_str(), d.current)).collect::<Vec<_>>(),
        [("D000001", false), ("D000002", true)]
    );
    // Croissant metadata alone would take the full disclosure's place and bring the presumption back: it is
    // refused and nothing is stored, unless the licensee says it replaces the one in force.
    let croissant = dir.path().join("croissant.json");
    std::fs::write(
        &croissant,
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../formats/tests/fixtures/croissant/mlcommons__1.1_audio_test_metadata.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let alone = submission("sf-1", std::slice::from_ref(&croissant), DeclaredTotals::default(), at(2026, 5, 5));
    let refused = intake::submit(s, story_tests::staff(), &archive, alone, None).await.unwrap_err();
    assert_eq!(
        refused.to_string(),
        "disclosure D000002 in force has a training manifest and an AI Act summary and this one has not: nothing was \
         stored. Send the files again with it, or say that this one replaces it (`--replace`; `\"replace\": true` over \
         the API)"
    );
    assert_eq!(store.disclosures(Some("songfox")).await.unwrap().len(), 2);
    let meant = Submission {
        replace: true,
        ..submission("sf-1", std::slice::from_ref(&croissant), DeclaredTotals::default(), at(2026, 5, 6))
    };
    let (_, _, assessment) = intake::submit(s, story_tests::staff(), &archive, meant, None).await.unwrap();
    assert_eq!(assessment.verdict, Verdict::None);
    assert_eq!(
        assessment.results[0].detail,
        "no manifest lists the training items: Croissant metadata describes datasets, not the items a model trained on"
    );
}

fn labelled() -> Vec<(&'static str, &'static str)> {
    // What a person who knows the fixtures says each item is: a recording key, `work:CODE` for a work
    // alone, `-` for nothing of the repertoire.
    vec![
        ("L01", "JPTO09404900"),
        ("L02", "JPTO09404900"),
        ("L03", "JPTO09404910"),
        ("L04", "JPTO09404940"),
        // Only the instrumental is in the repertoire: the vocal version is not it.
        ("L05", "-"),
        ("L06", "JPTO09404980"),
        ("L07", "JPTO09405080"),
        ("L08", "JPTO09405030"),
        ("L09", "JPTO09405030"),
        // A mistyped ISRC (JPTO09405070 with two digits swapped).
        ("L10", "JPTO09405070"),
        ("L11", "GBAYC1700598"),
        ("L12", "GBAYC1700598"),
        ("L13", "PADPIDA3897722461G:US38Y0811509"),
        ("L14", "PADPIDA3897722461G:USAT21400507"),
        ("L15", "PADPIDA3897722461G:CA2101200001"),
        ("L16", "PADPIDA3897722461G:QM8RL1400011"),
        ("L17", "PADPIDA3897722461G:GBBPW1200124"),
        ("L18", "PADPIDA3897722461G:QMSDU1300261"),
        // Withdrawn by the Audius purge: no longer in the repertoire.
        ("L19", "-"),
        ("L20", "USWE34255410"),
        // The same title by someone else.
        ("L21", "-"),
        // A live recording of Pechka; only the studio one is in the repertoire.
        ("L22", "-"),
        ("L23", "work:W000030001"),
        ("L24", "work:W000030003"),
        ("L25", "-"),
        ("L26", "-"),
    ]
}

async fn songfox_with_a_model(store: &Arc<dyn Store>) {
    let s = store.as_ref();
    let licensee = Licensee {
        id: "songfox".into(),
        name: "Songfox AB".into(),
        country: "SE".into(),
        vat_number: None,
        business_tier: "small".into(),
        contacts: vec![],
    };
    licensees::put_licensee(s, story_tests::staff(), licensee).await.unwrap();
    let model = ModelVersion {
        id: "sf-1".into(),
        licensee: "songfox".into(),
        name: "Songfox Music".into(),
        version: "1".into(),
        base_models: vec![],
        trained_on: Some(day(2026, 2, 1)),
        placed_on_eu_market: None,
        training_summary_url: None,
    };
    licensees::put_model_version(s, story_tests::staff(), model).await.unwrap();
}

/// The real fixtures as the repertoire: every CWR and ERN file of `crates/formats/tests/fixtures`.
async fn fixture_repertoire(store: &Arc<dyn Store>) {
    engine::registry::initialise(store.as_ref(), story_tests::staff(), SocietyCode::STIM, None).await.unwrap();
    let root = format!("{}/../formats/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut cwr: Vec<PathBuf> = std::fs::read_dir(format!("{root}/cwr")).unwrap().map(|e| e.unwrap().path()).collect();
    cwr.sort();
    for path in cwr {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let sink: engine::import::AckSink<'_> =
            Box::new(|_| Ok(Box::new(std::io::sink()) as Box<dyn std::io::Write + Send>));
        let bytes = std::fs::read(&path).unwrap();
        let _ = engine::import_cwr(
            store,
            story_tests::staff(),
            bytes.as_slice(),
            &name,
            engine::ImportOptions::new(at(2026, 1, 1), "story"),
            sink,
            &|_| {},
        )
        .await;
    }
    for name in ERN_FIXTURES {
        engine::recordings::import_ern(store.as_ref(), story_tests::staff(), &ern_fixture(name), name, at(2026, 1, 2))
            .await
            .unwrap();
    }
}

async fn the_hand_labelled_fixture_set_comes_out_exactly(store: &Arc<dyn Store>) {
    fixture_repertoire(store).await;
    songfox_with_a_model(store).await;
    let s = store.as_ref();
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::new(dir.path());
    let manifest = PathBuf::from(format!("{}/tests/fixtures/labelled-manifest.csv", env!("CARGO_MANIFEST_DIR")));
    let (received, set, _) = intake::submit(
        s,
        story_tests::staff(),
        &archive,
        submission("sf-1", &[manifest], DeclaredTotals::default(), at(2026, 6, 1)),
        None,
    )
    .await
    .unwrap();
    let rows = store.matches(set.id, None, 0, 1_000).await.unwrap();
    assert_eq!(rows.len(), 26);
    let mut wrong = Vec::new();
    for ((id, expected), row) in labelled().into_iter().zip(&rows) {
        assert_eq!(row.line, id[1..].parse::<u64>().unwrap() + 1, "{id} is on line {}", row.line);
        let got = match (&row.status, &row.recording, row.works.first()) {
            (MatchStatus::Matched, Some(r), _) => r.clone(),
            (MatchStatus::Matched, None, Some(w)) => format!("work:{w}"),
            _ => "-".to_owned(),
        };
        if got != expected {
            wrong.push(format!(
                "{id} {}: expected {expected}, got {got} ({:?}: {})",
                row.described, row.status, row.explanation
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The methods that decided them.
    let methods: Vec<String> = set.counts.by_method.iter().map(|(m, n)| format!("{} {n}", m.as_str())).collect();
    assert_eq!(methods, ["isrc 2", "iswc 1", "metadata 17"], "{:?}", set.counts);
    assert_eq!((set.counts.recordings, set.counts.works_only, set.counts.unmatched), (18, 2, 6));
    assert!(received.disclosure().warnings.is_empty(), "{:?}", received.disclosure().warnings);
}

/// A person decides an ambiguous item; the decision is applied at once, survives matching again (match
/// set 2) and a later disclosure of the same item; the writer of a matched work sees the model version and
/// how its work was found.
async fn decisions_survive_rematching_and_a_rightsholder_sees_their_works(store: &Arc<dyn Store>) {
    fixture_repertoire(store).await;
    songfox_with_a_model(store).await;
    let s = store.as_ref();
    let (dir, archive) = workspace();
    // "Urban Pulse" without a writer or an artist the repertoire knows: nothing to go by but the title.
    let manifest = write(
        dir.path(),
        "m.csv",
        "title,artists,writers,duration_s\nUrban Pulse,Nordic Beats,,180\nMidnight Serenade,The Cover Band,John Smith,201\n",
    );
    let (received, set, _) = intake::submit(
        s,
        story_tests::staff(),
        &archive,
        submission("sf-1", &[manifest], DeclaredTotals::default(), at(2026, 6, 1)),
        None,
    )
    .await
    .unwrap();
    let d = received.disclosure().id.clone();
    let first = store.match_row(set.id, 1).await.unwrap().unwrap();
    assert_eq!(first.status, MatchStatus::Unmatched, "{first:?}");
    let (row, counts) = decisions::resolve(
        s,
        &engine::Actor::operator("ops"),
        &story_tests::id(&d),
        1,
        Resolution::Works(vec!["W000030003".into()]),
        "a cover by the label's house band",
        at(2026, 6, 2),
    )
    .await
    .unwrap();
    assert_eq!(
        (row.status, row.works.as_slice(), row.decided),
        (MatchStatus::Matched, &["W000030003".to_owned()][..], true)
    );
    assert_eq!((counts.matched, counts.decided), (2, 1));
    assert!(matches!(
        decisions::resolve(
            s,
            &engine::Actor::operator("ops"),
            &story_tests::id(&d),
            1,
            Resolution::Works(vec!["W999".into()]),
            "",
            at(2026, 6, 2)
        )
        .await,
        Err(DisclosureError::Decision(_))
    ));

    let run = MatchRun::new(&archive, at(2026, 6, 3));
    let d_record = store.disclosure(&d).await.unwrap().unwrap();
    let second = run::match_disclosure(s, story_tests::staff(), &d_record, &run).await.unwrap();
    assert_eq!((second.number, second.counts.matched, second.counts.decided), (2, 2, 1));
    let kept = store.match_row(second.id, 1).await.unwrap().unwrap();
    assert_eq!(kept.works, ["W000030003"]);
    assert!(kept.explanation.contains("decided by ops"), "{}", kept.explanation);

    // The model version's next disclosure lists the item again, among others: the decision holds there too.
    let revised = write(
        dir.path(),
        "m2.csv",
        "title,artists,writers,duration_s
Salt,Havet,,199
Urban Pulse,Nordic Beats,,180
Midnight Serenade,The Cover Band,John Smith,201
",
    );
    let (next, set, _) = intake::submit(
        s,
        story_tests::staff(),
        &archive,
        submission("sf-1", &[revised], DeclaredTotals::default(), at(2026, 6, 4)),
        None,
    )
    .await
    .unwrap();
    assert!(matches!(next, Received::New(_)));
    assert_eq!((next.disclosure().revision, set.counts.decided), (2, 1));
    let carried = store.match_row(set.id, 2).await.unwrap().unwrap();
    assert_eq!((carried.works.as_slice(), carried.decided), (&["W000030003".to_owned()][..], true), "{carried:?}");
    assert!(!store.disclosure(&d).await.unwrap().unwrap().current, "revision 1 is replaced");

    // A writer of both works (JOHN SMITH) sees them, by method.
    let work = store.work("W000030001").await.unwrap().unwrap();
    let writer = work.primary().unwrap().work.interests.iter().find(|i| !i.role.is_publisher()).unwrap();
    let key = writer.party.as_str().to_owned();
    let (_, seen) = engine::disclosure::views::party_matches(s, story_tests::staff(), &key).await.unwrap();
    let shown: Vec<String> =
        seen.iter().map(|m| format!("{} {} {} {}", m.model_version, m.work_code, m.method.as_str(), m.items)).collect();
    assert_eq!(shown, ["sf-1 W000030001 metadata 1", "sf-1 W000030003 decision 1"]);
}

async fn a_manifest_with_errors_is_rejected_whole_naming_its_lines(store: &Arc<dyn Store>) {
    set_up(store).await;
    let s = store.as_ref();
    let (dir, archive) = workspace();
    let bad = write(
        dir.path(),
        "bad.csv",
        "title,artists,duration,acquired_on,content_sha256\nOk,A,3:10,2025-01-01,\nBad,B,ten minutes,2025-01-01,\nWorse,C,200,yesterday,abc\n",
    );
    let err = intake::submit(
        s,
        story_tests::staff(),
        &archive,
        submission("sf-1", &[bad], DeclaredTotals::default(), at(2026, 6, 1)),
        None,
    )
    .await
    .unwrap_err();
    let DisclosureError::Invalid { errors, diagnostics } = &err else { panic!("{err}") };
    assert_eq!(*errors, 3);
    let shown: Vec<String> = diagnostics.iter().map(|(f, d)| format!("{f} {}", d.line)).collect();
    assert_eq!(shown, ["bad.csv 3", "bad.csv 4", "bad.csv 4"]);
    assert!(err.to_string().contains("line 3: ER duration_s:"), "{err}");
    assert!(store.disclosures(None).await.unwrap().is_empty(), "nothing stored");
    assert_eq!(kept_files(&archive), 0, "the rejected file is not kept");
    let broken =
        write(dir.path(), "summary.json", "{\n  \"format\": \"tantiem-ai-act-summary/1\",\n  \"provider\": ,\n}\n");
    let err = intake::submit(
        s,
        story_tests::staff(),
        &archive,
        submission("sf-1", &[broken], DeclaredTotals::default(), at(2026, 6, 1)),
        None,
    )
    .await
    .unwrap_err();
    let DisclosureError::Invalid { diagnostics, .. } = &err else { panic!("{err}") };
    assert_eq!((diagnostics[0].0.as_str(), diagnostics[0].1.line), ("summary.json", 3), "{err}");
    assert!(diagnostics[0].1.message.starts_with("not valid JSON"), "{err}");
    let unknown = write(dir.path(), "notes.txt", "just some notes\nabout training\n");
    assert!(matches!(
        intake::submit(
            s,
            story_tests::staff(),
            &archive,
            submission("sf-1", &[unknown], DeclaredTotals::default(), at(2026, 6, 1)),
            None
        )
        .await,
        Err(DisclosureError::UnknownFile { .. })
    ));
    let nobody =
        Submission { model_version: "sf-9", ..submission("sf-9", &[], DeclaredTotals::default(), at(2026, 6, 1)) };
    assert!(matches!(
        intake::submit(s, story_tests::staff(), &archive, nobody, None).await,
        Err(DisclosureError::UnknownModel { .. })
    ));
    assert_eq!(store.licensed_repertoire_size(Stage::Training).await.unwrap(), 400);
}

/// The files kept in an archive.
fn kept_files(archive: &Archive) -> usize {
    fn count(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .map_or(0, |entries| entries.flatten().map(|e| if e.path().is_dir() { count(&e.path()) } else { 1 }).sum())
    }
    count(archive.root())
}

/// The same files submitted twice at the same moment (a client retrying): one disclosure, not two.
async fn the_same_disclosure_sent_twice_at_once_is_received_once(store: &Arc<dyn Store>) {
    engine::registry::initialise(store.as_ref(), story_tests::staff(), SocietyCode::STIM, None).await.unwrap();
    songfox_with_a_model(store).await;
    let s = store.as_ref();
    let (dir, archive) = workspace();
    let manifest = write(
        dir.path(),
        "m.csv",
        "isrc,title,artists,duration_s
GBAYC1700598,I Love You,RIOPY,263
",
    );
    let files = [manifest];
    let (one, two) = tokio::join!(
        intake::receive(
            s,
            story_tests::staff(),
            &archive,
            submission("sf-1", &files, DeclaredTotals::default(), at(2026, 6, 1))
        ),
        intake::receive(
            s,
            story_tests::staff(),
            &archive,
            submission("sf-1", &files, DeclaredTotals::default(), at(2026, 6, 1))
        ),
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one.disclosure().id, two.disclosure().id);
    assert_eq!(
        [&one, &two].iter().filter(|r| matches!(r, Received::New(_))).count(),
        1,
        "one of them is new: {one:?} {two:?}"
    );
    assert_eq!(store.disclosures(None).await.unwrap().len(), 1);
    assert_eq!(kept_files(&archive), 1);
}

/// An item not in the repertoire is matched once a label delivers its recording.
async fn a_disclosure_is_matched_again_when_the_repertoire_grows(store: &Arc<dyn Store>) {
    engine::registry::initialise(store.as_ref(), story_tests::staff(), SocietyCode::STIM, None).await.unwrap();
    songfox_with_a_model(store).await;
    let s = store.as_ref();
    let (dir, archive) = workspace();
    let manifest = write(dir.path(), "m.csv", "isrc,title,artists,duration_s\nGBAYC1700598,I Love You,RIOPY,263\n");
    let (received, set, _) = intake::submit(
        s,
        story_tests::staff(),
        &archive,
        submission("sf-1", &[manifest], DeclaredTotals::default(), at(2026, 6, 1)),
        None,
    )
    .await
    .unwrap();
    assert_eq!(set.counts.unmatched, 1);
    let run = MatchRun::new(&archive, at(2026, 6, 2));
    assert!(
        run::rematch_stale(s, story_tests::staff(), &run, "story").await.unwrap().is_empty(),
        "nothing changed yet"
    );
    let single = ern_fixture("4_SimpleAudioSingle.xml");
    engine::recordings::import_ern(s, story_tests::staff(), &single, "4_SimpleAudioSingle.xml", at(2026, 6, 2))
        .await
        .unwrap();
    let done = run::rematch_stale(s, story_tests::staff(), &run, "story").await.unwrap();
    assert_eq!(done.len(), 1);
    let (id, outcome) = &done[0];
    let (set, _) = outcome.as_ref().unwrap();
    assert_eq!(id, &received.disclosure().id);
    assert_eq!((set.disclosure.as_str(), set.number, set.counts.matched), (received.disclosure().id.as_str(), 2, 1));
    assert_eq!(store.match_row(set.id, 1).await.unwrap().unwrap().recording.as_deref(), Some("GBAYC1700598"));
    assert_eq!(store.match_sets(&received.disclosure().id).await.unwrap().len(), 2, "both match sets are kept");

    // A run that fails (the manifest gone from the archive) leaves nothing behind: set 2 stays in force and
    // the next run, the file back, is set 3.
    let d = received.disclosure();
    let kept = archive.path_of(&d.files[0].sha256).unwrap();
    let bytes = std::fs::read(&kept).unwrap();
    std::fs::remove_file(&kept).unwrap();
    let failed = run::match_disclosure(s, story_tests::staff(), d, &run).await.unwrap_err();
    assert!(matches!(&failed, DisclosureError::File { file, .. } if file == "m.csv"), "{failed}");
    assert!(failed.to_string().contains("--archive-dir"), "{failed}");
    assert_eq!(store.match_sets(&d.id).await.unwrap().pop().map(|s| s.number), Some(2));
    std::fs::write(&kept, bytes).unwrap();
    assert_eq!(run::match_disclosure(s, story_tests::staff(), d, &run).await.unwrap().number, 3);
}

/// An item whose metadata says nothing useful is found by the Chromaprint fingerprint the licensee sent
/// (fpcalc's compressed text), against the audio registered for the recording.
async fn an_item_is_matched_by_its_fingerprint(store: &Arc<dyn Store>) {
    use fingerprint::recogniser::Prints;
    engine::registry::initialise(store.as_ref(), story_tests::staff(), SocietyCode::STIM, None).await.unwrap();
    songfox_with_a_model(store).await;
    let s = store.as_ref();
    let single = ern_fixture("4_SimpleAudioSingle.xml");
    engine::recordings::import_ern(s, story_tests::staff(), &single, "single.xml", at(2026, 6, 1)).await.unwrap();
    let audio =
        fingerprint::Audio { sample_rate: 11_025, channels: 1, samples: testkit::audio::melody(3, 40.0, 1.0, 0.0) };
    let prints = Prints::of(&audio).unwrap();
    engine::recordings::register_audio(
        s,
        story_tests::staff(),
        &domain::Isrc::parse("GBAYC1700598").unwrap(),
        &prints,
        40_000,
        "ops",
        at(2026, 6, 1),
    )
    .await
    .unwrap();
    let text = formats::disclosure::chromaprint::encode(&fingerprint::chromaprint(&audio).unwrap());
    let (dir, archive) = workspace();
    let manifest =
        write(dir.path(), "m.jsonl", &format!("{{\"title\": \"track_0042.wav\", \"chromaprint\": \"{text}\"}}\n"));
    let received = intake::receive(
        s,
        story_tests::staff(),
        &archive,
        submission("sf-1", &[manifest], DeclaredTotals::default(), at(2026, 6, 2)),
    )
    .await
    .unwrap();
    assert_eq!(received.disclosure().stats.with_fingerprint, 1);
    // No index file: the fingerprint index is built in memory from the store.
    let run = MatchRun::new(&archive, at(2026, 6, 2));
    let set = run::match_disclosure(s, story_tests::staff(), received.disclosure(), &run).await.unwrap();
    let row = store.match_row(set.id, 1).await.unwrap().unwrap();
    assert_eq!(
        (row.recording.as_deref(), row.method),
        (Some("GBAYC1700598"), Some(matching::Method::Fingerprint)),
        "{row:?}"
    );
    assert!(row.explanation.contains("audio fingerprint"), "{}", row.explanation);
}

story!(
    an_item_is_matched_by_its_fingerprint,
    the_same_disclosure_sent_twice_at_once_is_received_once,
    the_presumption_holds_on_a_summary_alone_and_is_credited_back_on_full_transparency,
    the_hand_labelled_fixture_set_comes_out_exactly,
    decisions_survive_rematching_and_a_rightsholder_sees_their_works,
    a_manifest_with_errors_is_rejected_whole_naming_its_lines,
    a_disclosure_is_matched_again_when_the_repertoire_grows,
);
