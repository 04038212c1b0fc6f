//! The recordings story on SQLite and PostgreSQL: every ERN fixture imported with literal counts; a test
//! message changes nothing; the same file again changes nothing; a newer update replaces fields with
//! history, an older one is ignored; a purge withdraws its release and the recordings only on it; CWR REC
//! recordings merge on ISRC with each field's source; operators link recordings to works and set origin.

mod common;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use common::{ERN_FIXTURES, ern_fixture};
use domain::{Origin, SocietyCode};
use engine::Store;
use engine::recordings::{self, ErnCounts, ErnOutcome, IndexSource};
use fingerprint::Audio;
use fingerprint::recogniser::{Prints, Query, Thresholds};
use story_tests::story;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).single().expect("a valid time")
}

fn counts(c: &ErnCounts) -> [u32; 9] {
    [
        c.recordings_new,
        c.recordings_updated,
        c.recordings_ignored,
        c.recordings_withdrawn,
        c.releases_new,
        c.releases_updated,
        c.releases_ignored,
        c.releases_withdrawn,
        c.links,
    ]
}

async fn every_ern_fixture_with_updates_and_a_purge(store: &Arc<dyn Store>) {
    engine::registry::initialise(store.as_ref(), story_tests::staff(), SocietyCode::STIM, None).await.unwrap();
    let s = store.as_ref();
    let mut results = Vec::new();
    for name in ERN_FIXTURES {
        let report = recordings::import_ern(s, story_tests::staff(), &ern_fixture(name), name, now()).await.unwrap();
        results.push((name, report.outcome, counts(&report.counts)));
    }
    assert_eq!(
        results,
        [
            ("1_Audio.xml", ErnOutcome::Applied, [21, 0, 0, 0, 1, 0, 0, 0, 0]),
            ("4_SimpleAudioSingle.xml", ErnOutcome::Applied, [1, 0, 0, 0, 1, 0, 0, 0, 0]),
            // DDEX's DJ-mix sample gives two recordings the same proprietary id: one recording, with a notice.
            ("8_DjMix.xml", ErnOutcome::Applied, [8, 0, 0, 0, 1, 0, 0, 0, 0]),
            ("audius__01_delivery.xml", ErnOutcome::Applied, [1, 0, 0, 0, 1, 0, 0, 0, 0]),
            // The purge withdraws the release and its only recording.
            ("audius__03_delete.xml", ErnOutcome::Applied, [0, 0, 0, 1, 0, 0, 0, 1, 0]),
            // These describe the same release as of 2024-04-01, older than the purge of 2024-04-02: ignored.
            ("audius__album_basic.xml", ErnOutcome::Applied, [0, 0, 1, 0, 0, 0, 1, 0, 0]),
            ("audius__track_basic.xml", ErnOutcome::Applied, [0, 0, 1, 0, 0, 0, 1, 0, 0]),
        ]
    );
    let purged = recordings::recording_view(s, story_tests::staff(), "USRC12345678").await.unwrap();
    assert!(purged.recording.withdrawn && purged.releases.iter().all(|r| r.withdrawn));
    assert_eq!(
        purged.history.iter().map(|h| h.summary.as_str()).collect::<Vec<_>>(),
        ["new recording", "withdrawn with release A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R8S9T0"]
    );

    // The same file again, and a test message: nothing changes.
    let again = recordings::import_ern(s, story_tests::staff(), &ern_fixture("1_Audio.xml"), "1_Audio.xml", now())
        .await
        .unwrap();
    assert_eq!((again.outcome, counts(&again.counts)), (ErnOutcome::AlreadyImported, [0; 9]));
    let single = String::from_utf8(ern_fixture("4_SimpleAudioSingle.xml")).unwrap();
    let test = single
        .replace(
            "<MessageControlType>LiveMessage</MessageControlType>",
            "<MessageControlType>TestMessage</MessageControlType>",
        )
        .replace("GBAYC1700598", "GBAYC1700599");
    let tested = recordings::import_ern(s, story_tests::staff(), test.as_bytes(), "test.xml", now()).await.unwrap();
    assert_eq!(tested.outcome, ErnOutcome::TestMessage);
    assert!(recordings::recording_view(s, story_tests::staff(), "GBAYC1700599").await.is_err());

    // A newer update replaces the title, keeping history; an older one is ignored.
    let newer = single.replace("2017-04-25T15:00:29+00:00", "2018-01-01T00:00:00+00:00").replacen(
        "<DisplayTitleText>",
        "<DisplayTitleText>Remastered: ",
        1,
    );
    let updated = recordings::import_ern(s, story_tests::staff(), newer.as_bytes(), "newer.xml", now()).await.unwrap();
    assert_eq!(counts(&updated.counts), [0, 1, 0, 0, 0, 1, 0, 0, 0]);
    let view = recordings::recording_view(s, story_tests::staff(), "GBAYC1700598").await.unwrap();
    let title = view.recording.title.unwrap();
    assert!(title.value.starts_with("Remastered: "), "{}", title.value);
    assert_eq!(title.source, "ERN W83814161 from Warner Music Group, 2018-01-01 00:00");
    assert_eq!(view.history.len(), 2);
    assert_eq!(view.history[1].summary, "updated: title");
    let older = single.replace("2017-04-25T15:00:29+00:00", "2016-01-01T00:00:00+00:00");
    let ignored = recordings::import_ern(
        s,
        story_tests::staff(),
        older.replace("Warner Music Group", "Warner Music Group ").as_bytes(),
        "older.xml",
        now(),
    )
    .await
    .unwrap();
    assert_eq!(counts(&ignored.counts), [0, 0, 1, 0, 0, 0, 1, 0, 0]);

    // The same recording on a second release (a compilation): purging the single leaves it standing;
    // purging the compilation too withdraws it.
    let compilation = newer
        .replace("2018-01-01T00:00:00+00:00", "2018-02-01T00:00:00+00:00")
        .replace("A10302B0003989564F", "A10302B0003989564G");
    let added = recordings::import_ern(s, story_tests::staff(), compilation.as_bytes(), "compilation.xml", now())
        .await
        .unwrap();
    assert_eq!(counts(&added.counts), [0, 0, 0, 0, 1, 0, 0, 0, 0], "an unchanged recording on a new release");
    assert_eq!(added.counts.recordings_unchanged, 1);
    let purge = |grid: &str, at: &str| {
        format!(
            "<?xml version=\"1.0\"?>\n<ern:PurgeReleaseMessage xmlns:ern=\"http://ddex.net/xml/ern/43\"><MessageHeader><MessageId>P-{grid}</MessageId><MessageSender><PartyName><FullName>Warner Music Group</FullName></PartyName></MessageSender><MessageCreatedDateTime>{at}</MessageCreatedDateTime></MessageHeader><PurgedRelease><ReleaseId><GRid>{grid}</GRid></ReleaseId></PurgedRelease></ern:PurgeReleaseMessage>"
        )
    };
    let first = recordings::import_ern(
        s,
        story_tests::staff(),
        purge("A10302B0003989564F", "2019-01-01T00:00:00Z").as_bytes(),
        "p1.xml",
        now(),
    )
    .await
    .unwrap();
    assert_eq!(counts(&first.counts), [0, 0, 0, 0, 0, 0, 0, 1, 0], "the compilation still carries it");
    assert!(!recordings::recording_view(s, story_tests::staff(), "GBAYC1700598").await.unwrap().recording.withdrawn);
    let second = recordings::import_ern(
        s,
        story_tests::staff(),
        purge("A10302B0003989564G", "2019-01-02T00:00:00Z").as_bytes(),
        "p2.xml",
        now(),
    )
    .await
    .unwrap();
    assert_eq!(counts(&second.counts), [0, 0, 0, 1, 0, 0, 0, 1, 0]);
    let view = recordings::recording_view(s, story_tests::staff(), "GBAYC1700598").await.unwrap();
    assert!(view.recording.withdrawn);
    assert_eq!(view.releases.len(), 2);

    // Not ERN, or broken: a clear error, nothing stored.
    let error = recordings::import_ern(s, story_tests::staff(), b"<?xml version=\"1.0\"?>\n<rss/>", "feed.xml", now())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "line 2: ER rss: root element \"rss\" is not an ERN NewReleaseMessage or PurgeReleaseMessage"
    );
}

async fn cwr_and_ern_recordings_merge_on_isrc_and_link_to_works(store: &Arc<dyn Store>) {
    engine::registry::initialise(store.as_ref(), story_tests::staff(), SocietyCode::STIM, None).await.unwrap();
    let mut generator = testkit::Generator::new(11);
    let cwr = testkit::write_cwr21(Vec::new(), generator.works(30), "20260101").expect("written");
    let options = engine::ImportOptions::new(now(), "story");
    let sink: engine::import::AckSink<'_> =
        Box::new(|_| Ok(Box::new(std::io::sink()) as Box<dyn std::io::Write + Send>));
    engine::import_cwr(store, story_tests::staff(), cwr.as_slice(), "works.V21", options, sink, &|_| {}).await.unwrap();
    let s = store.as_ref();
    // A work with a recording that has an ISRC, and another work with an ISWC.
    let works = s.search_works("", 100).await.unwrap();
    let mut with_isrc = None;
    for w in &works {
        if let Some(rec) = s.work_recordings(&w.code).await.unwrap().into_iter().find(|r| r.recording.isrc.is_some()) {
            with_isrc = Some((w.code.clone(), rec));
            break;
        }
    }
    let (work_code, rec) = with_isrc.expect("a generated recording with an ISRC");
    let isrc = rec.recording.isrc.unwrap();
    let view = recordings::recording_view(s, story_tests::staff(), isrc.as_str()).await.unwrap();
    let source = format!("CWR REC of work {work_code}");
    // The generated REC record leaves the title blank: the recording bears its work's title.
    let work_title = works.iter().find(|w| w.code == work_code).unwrap().title.clone();
    let title_source = format!("title of work {work_code}");
    assert_eq!(
        view.recording.title.as_ref().map(|t| (t.value.as_str(), t.source.as_str())),
        Some((work_title.as_str(), title_source.as_str()))
    );
    assert_eq!(
        view.links.iter().map(|l| (l.work_code.as_str(), l.source.as_str())).collect::<Vec<_>>(),
        [(work_code.as_str(), source.as_str())]
    );
    let found = recordings::search(s, story_tests::staff(), isrc.as_str(), 100).await.unwrap();
    assert!(found.iter().any(|r| r.key == isrc.as_str()), "{found:?}");

    // An operator links it to a second work by ISWC (once), and says it is AI-assisted.
    let other = works.iter().find(|w| w.iswc.is_some() && w.code != work_code).expect("a work with an ISWC");
    let iswc = other.iswc.unwrap();
    let (link, added) = recordings::link(s, story_tests::staff(), isrc.as_str(), &iswc, "alice").await.unwrap();
    assert!(added && link.work_code == other.code);
    assert!(!recordings::link(s, story_tests::staff(), isrc.as_str(), &iswc, "alice").await.unwrap().1);
    let set = recordings::set_origin(s, story_tests::staff(), isrc.as_str(), Origin::AiAssisted, "alice", now())
        .await
        .unwrap();
    assert_eq!((set.origin.value, set.origin.source.as_str()), (Origin::AiAssisted, "operator alice"));
    let view = recordings::recording_view(s, story_tests::staff(), isrc.as_str()).await.unwrap();
    assert_eq!(view.links.len(), 2);
    assert_eq!(
        view.recording.title.as_ref().map(|t| t.source.as_str()),
        Some(title_source.as_str()),
        "CWR fields still fill in"
    );
    assert_eq!(view.history.len(), 1);
}

/// A generated melody (no audio is stored in the repository), `speed` times faster.
fn melody(seed: u64, seconds: u32, speed: f64) -> Audio {
    Audio { sample_rate: 11_025, channels: 1, samples: testkit::audio::melody(seed, f64::from(seconds), speed, 0.0) }
}

fn excerpt(audio: &Audio, from: usize, to: usize) -> Audio {
    Audio { samples: audio.samples[from * 11_025..to * 11_025].to_vec(), ..audio.clone() }
}

async fn identify(s: &dyn Store, index: &Path, audio: &Audio) -> (Vec<recordings::Identified>, IndexSource) {
    let (recogniser, source) = recordings::recogniser(s, story_tests::staff(), Some(index)).await.unwrap();
    let query = Query::of(audio).unwrap();
    (
        recordings::identify(s, story_tests::staff(), &recogniser, &query, 3, Thresholds::default()).await.unwrap(),
        source,
    )
}

async fn registered_audio_is_identified_whole_and_in_fragments(store: &Arc<dyn Store>) {
    engine::registry::initialise(store.as_ref(), story_tests::staff(), SocietyCode::STIM, None).await.unwrap();
    let s = store.as_ref();
    recordings::import_ern(s, story_tests::staff(), &ern_fixture("4_SimpleAudioSingle.xml"), "single.xml", now())
        .await
        .unwrap();
    let isrcs = ["GBAYC1700598", "SE5BU2600001", "SE5BU2600002"];
    let dir = std::env::temp_dir().join(format!("tantiem-audio-index-{}-{}", std::process::id(), s.backend()));
    std::fs::create_dir_all(&dir).unwrap();
    let index = dir.join("store.audio-index");
    let _ = std::fs::remove_file(&index);
    for (seed, code) in isrcs[..2].iter().enumerate() {
        let isrc = domain::Isrc::parse(code).unwrap();
        let prints = Prints::of(&melody(seed as u64, 40, 1.0)).unwrap();
        recordings::register_audio(s, story_tests::staff(), &isrc, &prints, 40_000, "alice", now()).await.unwrap();
    }
    let (whole, source) = identify(s, &index, &melody(0, 40, 1.0)).await;
    assert_eq!((whole[0].found.key.as_str(), whole[0].found.whole, source), ("GBAYC1700598", true, IndexSource::Built));
    assert!(whole[0].title.as_deref().is_some_and(|t| !t.is_empty()), "the catalogue's title comes with it");
    // The index file is used while the store is unchanged, and rebuilt when a recording's audio changes
    // (even with as many recordings as before) or one is added.
    assert_eq!(identify(s, &index, &melody(0, 40, 1.0)).await.1, IndexSource::File);
    let other = Prints::of(&melody(7, 40, 1.0)).unwrap();
    let replaced = recordings::register_audio(
        s,
        story_tests::staff(),
        &domain::Isrc::parse(isrcs[1]).unwrap(),
        &other,
        40_000,
        "alice",
        now(),
    )
    .await
    .unwrap();
    assert_eq!(
        replaced.notices(isrcs[1]),
        ["SE5BU2600001 had other audio registered: it was replaced by this file"],
        "registering a recording's audio again says that it replaced the earlier audio"
    );
    assert_eq!(identify(s, &index, &melody(7, 40, 1.0)).await.0[0].found.key, isrcs[1]);
    let before = Prints::of(&melody(1, 40, 1.0)).unwrap();
    recordings::register_audio(
        s,
        story_tests::staff(),
        &domain::Isrc::parse(isrcs[1]).unwrap(),
        &before,
        40_000,
        "alice",
        now(),
    )
    .await
    .unwrap();
    let third = Prints::of(&melody(2, 40, 1.0)).unwrap();
    recordings::register_audio(
        s,
        story_tests::staff(),
        &domain::Isrc::parse(isrcs[2]).unwrap(),
        &third,
        40_000,
        "alice",
        now(),
    )
    .await
    .unwrap();
    let (fragment, source) = identify(s, &index, &excerpt(&melody(2, 40, 1.0), 20, 30)).await;
    assert_eq!(
        (fragment[0].found.key.as_str(), fragment[0].found.whole, source),
        ("SE5BU2600002", false, IndexSource::Built)
    );
    assert!((fragment[0].found.reference_offset_seconds - 20.0).abs() < 1.0, "{:?}", fragment[0]);
    // Sped up by 3%, a fragment is still found, by the spectral peaks or by Chromaprint at another rate.
    let (faster, _) = identify(s, &index, &excerpt(&melody(1, 40, 1.03), 10, 25)).await;
    assert_eq!(faster.first().map(|m| m.found.key.as_str()), Some("SE5BU2600001"), "{faster:?}");
    assert!(identify(s, &index, &melody(9, 10, 1.0)).await.0.is_empty());
    // A damaged index file is rebuilt, not trusted; one that cannot be written is reported, and the
    // identification still answers.
    std::fs::write(&index, b"TANTIEM AUDIO INDEX 2\n\x05").unwrap();
    assert_eq!(identify(s, &index, &melody(0, 40, 1.0)).await.1, IndexSource::Built);
    let (found, source) = identify(s, &dir.join("no-such-folder").join("x.audio-index"), &melody(0, 40, 1.0)).await;
    assert_eq!(found[0].found.key, isrcs[0]);
    assert!(matches!(&source, IndexSource::Unsaved(why) if why.contains("no-such-folder")), "{source:?}");
    // A recording registered from its audio alone joins the catalogue with its ISRC.
    assert_eq!(
        recordings::recording_view(s, story_tests::staff(), "SE5BU2600001").await.unwrap().history[0].summary,
        "new recording, registered from its audio"
    );
    // The very same audio under another ISRC is registered, and said to be a second copy.
    let copy = recordings::register_audio(
        s,
        story_tests::staff(),
        &domain::Isrc::parse("SE5BU2600009").unwrap(),
        &Prints::of(&melody(0, 40, 1.0)).unwrap(),
        40_000,
        "alice",
        now(),
    )
    .await
    .unwrap();
    assert_eq!((copy.replaced, copy.same_audio_as.as_slice()), (false, &["GBAYC1700598".to_owned()][..]));
    let _ = std::fs::remove_dir_all(&dir);
}

story!(
    every_ern_fixture_with_updates_and_a_purge,
    cwr_and_ern_recordings_merge_on_isrc_and_link_to_works,
    registered_audio_is_identified_whole_and_in_fragments
);
