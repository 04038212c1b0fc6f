//! Shared set-up of the stories: a society with generated works and licensees with agreements, and the
//! real ERN fixtures.

#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use domain::licensing::{AgreementStatus, Licensee, ModelVersion};
use domain::{SocietyCode, Stage};
use engine::Store;
use engine::licensing::AgreementTerms;
use engine::licensing::licensees::{self, Coverage};
use money::Currency;

pub fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).single().expect("a valid time")
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// A society with 400 generated works, and Songfox with its models, service and agreement.
pub async fn set_up(store: &Arc<dyn Store>) {
    engine::registry::initialise(store.as_ref(), story_tests::staff(), SocietyCode::STIM, None).await.expect("society");
    let mut generator = testkit::Generator::new(7);
    let cwr = testkit::write_cwr21(Vec::new(), generator.works(400), "20260101").expect("written");
    let options = engine::ImportOptions::new(at(2026, 1, 1), "story");
    let sink: engine::import::AckSink<'_> =
        Box::new(|_| Ok(Box::new(std::io::sink()) as Box<dyn std::io::Write + Send>));
    engine::import_cwr(store, story_tests::staff(), cwr.as_slice(), "repertoire.V21", options, sink, &|_| {})
        .await
        .expect("imported");
    let s = store.as_ref();
    licensees::put_licensee(
        s,
        story_tests::staff(),
        Licensee {
            id: "songfox".into(),
            name: "Songfox AB".into(),
            country: "se".into(),
            vat_number: Some("SE556000000001".into()),
            business_tier: "small".into(),
            contacts: vec!["licensing@songfox.example".into()],
        },
    )
    .await
    .expect("licensee");
    for (id, placed) in [("sf-1", day(2026, 3, 10)), ("sf-2", day(2026, 3, 20))] {
        let model = ModelVersion {
            id: id.into(),
            licensee: "songfox".into(),
            name: "Songfox Music".into(),
            version: id.trim_start_matches("sf-").into(),
            base_models: vec![],
            trained_on: Some(day(2026, 2, 1)),
            placed_on_eu_market: Some(placed),
            training_summary_url: Some(format!("https://songfox.example/ai-act/{id}.json")),
        };
        licensees::put_model_version(s, story_tests::staff(), model).await.expect("model version");
    }
    licensees::put_service(
        s,
        story_tests::staff(),
        story_tests::songfox(),
        "app",
        "Songfox app",
        Some((day(2026, 1, 1), vec!["sf-1".into(), "sf-2".into()])),
    )
    .await
    .expect("service");
    let coverage = Coverage {
        effective_from: day(2026, 1, 1),
        stages: Stage::ALL.to_vec(),
        territories: vec!["SE".into(), "NO".into()],
        societies: vec![SocietyCode::STIM],
        services: vec!["app".into()],
        model_versions: vec!["sf-1".into(), "sf-2".into()],
        use_types: vec!["stream".into(), "download".into()],
        term_until: None,
        status: AgreementStatus::Active,
    };
    let terms = AgreementTerms::new(rating::Tariff::illustrative(Currency::EUR).expect("tariff"));
    licensees::create_agreement(
        s,
        story_tests::staff(),
        "A-2026-001",
        story_tests::songfox(),
        coverage,
        terms,
        at(2026, 1, 1),
    )
    .await
    .expect("agreement");
}

/// A second licensee, Tunebird (Norway), with its own model, service and agreement.
pub async fn add_tunebird(store: &Arc<dyn Store>) {
    let s = store.as_ref();
    let licensee = Licensee {
        id: "tunebird".into(),
        name: "Tunebird AS".into(),
        country: "NO".into(),
        vat_number: None,
        business_tier: "micro".into(),
        contacts: vec![],
    };
    licensees::put_licensee(s, story_tests::staff(), licensee).await.expect("licensee");
    let model = ModelVersion {
        id: "tb-1".into(),
        licensee: "tunebird".into(),
        name: "Tunebird".into(),
        version: "1".into(),
        base_models: vec!["sf-1".into()],
        trained_on: None,
        placed_on_eu_market: None,
        training_summary_url: None,
    };
    licensees::put_model_version(s, story_tests::staff(), model).await.expect("model version");
    licensees::put_service(
        s,
        story_tests::staff(),
        story_tests::tunebird(),
        "tb-app",
        "Tunebird",
        Some((day(2026, 1, 1), vec!["tb-1".into()])),
    )
    .await
    .expect("service");
    let coverage = Coverage {
        effective_from: day(2026, 1, 1),
        stages: vec![Stage::Service],
        territories: vec!["NO".into()],
        societies: vec![SocietyCode::STIM],
        services: vec!["tb-app".into()],
        model_versions: vec!["tb-1".into()],
        use_types: vec![],
        term_until: None,
        status: AgreementStatus::Active,
    };
    let terms = AgreementTerms::new(rating::Tariff::illustrative(Currency::EUR).expect("tariff"));
    licensees::create_agreement(
        s,
        story_tests::staff(),
        "A-2026-002",
        story_tests::tunebird(),
        coverage,
        terms,
        at(2026, 1, 1),
    )
    .await
    .expect("agreement");
}

/// Every ERN fixture of `crates/formats/tests/fixtures/ern`, in the order the stories import them.
pub const ERN_FIXTURES: [&str; 7] = [
    "1_Audio.xml",
    "4_SimpleAudioSingle.xml",
    "8_DjMix.xml",
    "audius__01_delivery.xml",
    "audius__03_delete.xml",
    "audius__album_basic.xml",
    "audius__track_basic.xml",
];

/// An ERN fixture's bytes.
pub fn ern_fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../formats/tests/fixtures/ern/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}
