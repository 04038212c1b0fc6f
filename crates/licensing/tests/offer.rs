//! The TDMRep and ODRL validators, checked against the examples published with those specifications
//! (vendored in `tests/fixtures/spec-examples` with their provenance), against malformed variants that
//! must fail, and then used to check what Tantiem publishes.

use std::path::PathBuf;

use licensing::offer::{self, Publisher};
use serde_json::Value;

fn fixtures(dir: &str) -> Vec<(String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec-examples").join(dir);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    files.sort();
    files
}

fn publisher() -> Publisher<'static> {
    Publisher { base_url: "https://ai.stim.example", society_name: "STIM", contact_email: "ai-licensing@stim.example" }
}

#[test]
fn every_published_tdmrep_file_example_is_valid() {
    let examples: Vec<_> = fixtures("tdmrep").into_iter().filter(|(n, _)| n.starts_with("example-")).collect();
    assert_eq!(examples.len(), 2);
    for (name, text) in examples {
        assert_eq!(offer::validate_tdmrep(&text), Ok(()), "{name}");
    }
}

#[test]
fn the_published_tdm_policy_is_valid_and_the_broken_one_is_not() {
    assert_eq!(
        offer::validate_tdm_policy(&fixtures("tdmrep").iter().find(|(n, _)| n == "policy-example-18.json").unwrap().1),
        Ok(())
    );
    // Example 19 is published with a trailing comma: not JSON, so it must fail.
    let broken = fixtures("tdmrep").into_iter().find(|(n, _)| n == "policy-example-19.json").unwrap().1;
    let problems = offer::validate_tdm_policy(&broken).unwrap_err();
    assert!(problems[0].starts_with("not JSON"), "{problems:?}");
}

#[test]
fn every_published_odrl_example_is_valid() {
    let examples = fixtures("odrl");
    assert_eq!(examples.len(), 10);
    for (name, text) in examples {
        assert_eq!(offer::validate_odrl(&text), Ok(()), "{name}");
    }
}

/// Edits an example's JSON and checks the validator refuses the result with the expected message.
fn refused(validate: fn(&str) -> Result<(), Vec<String>>, text: &str, edit: impl Fn(&mut Value), expected: &str) {
    let mut value: Value = serde_json::from_str(text).unwrap();
    edit(&mut value);
    let problems = validate(&value.to_string()).expect_err(expected);
    assert!(problems.iter().any(|p| p.contains(expected)), "{problems:?} lacks {expected:?}");
}

#[test]
fn malformed_variants_of_the_examples_fail() {
    let tdm = fixtures("tdmrep").into_iter().find(|(n, _)| n == "example-2.json").unwrap().1;
    refused(offer::validate_tdmrep, &tdm, |v| v[0]["tdm-reservation"] = "yes".into(), "tdm-reservation must be 0 or 1");
    refused(offer::validate_tdmrep, &tdm, |v| v[1]["tdm-reservation"] = 2.into(), "tdm-reservation must be 0 or 1");
    refused(
        offer::validate_tdmrep,
        &tdm,
        |v| drop(v[0].as_object_mut().unwrap().remove("location")),
        "location is mandatory",
    );
    refused(
        offer::validate_tdmrep,
        &tdm,
        |v| drop(v[2].as_object_mut().unwrap().remove("tdm-reservation")),
        "tdm-reservation is mandatory",
    );
    refused(offer::validate_tdmrep, &tdm, |v| v[1]["tdm-policy"] = 7.into(), "tdm-policy must be an http(s) URL");
    refused(offer::validate_tdmrep, &tdm, |v| *v = v[0].clone(), "the top level must be an array");

    let policy = fixtures("tdmrep").into_iter().find(|(n, _)| n == "policy-example-18.json").unwrap().1;
    refused(
        offer::validate_tdm_policy,
        &policy,
        |v| v["@context"] = "http://www.w3.org/ns/odrl.jsonld".into(),
        "@context must be",
    );
    refused(offer::validate_tdm_policy, &policy, |v| v["@type"] = "Set".into(), "@type must be Offer");
    refused(
        offer::validate_tdm_policy,
        &policy,
        |v| drop(v.as_object_mut().unwrap().remove("assigner")),
        "one assigner",
    );
    refused(
        offer::validate_tdm_policy,
        &policy,
        |v| v["permission"][0]["action"] = "use".into(),
        "action must be tdm:mine",
    );

    let offer_example = fixtures("odrl").into_iter().find(|(n, _)| n == "example-2-offer.json").unwrap().1;
    refused(offer::validate_odrl, &offer_example, |v| drop(v.as_object_mut().unwrap().remove("uid")), "one uid");
    refused(
        offer::validate_odrl,
        &offer_example,
        |v| drop(v["permission"][0].as_object_mut().unwrap().remove("assigner")),
        "an Offer needs an assigner",
    );
    refused(
        offer::validate_odrl,
        &offer_example,
        |v| drop(v["permission"][0].as_object_mut().unwrap().remove("action")),
        "has no action",
    );
    refused(
        offer::validate_odrl,
        &offer_example,
        |v| drop(v["permission"][0].as_object_mut().unwrap().remove("target")),
        "has no target",
    );
    refused(
        offer::validate_odrl,
        &offer_example,
        |v| drop(v.as_object_mut().unwrap().remove("permission")),
        "at least one permission",
    );
    let agreement = fixtures("odrl").into_iter().find(|(n, _)| n == "example-3-agreement.json").unwrap().1;
    refused(
        offer::validate_odrl,
        &agreement,
        |v| drop(v["permission"][0].as_object_mut().unwrap().remove("assignee")),
        "an Agreement needs an assignee",
    );
}

#[test]
fn what_tantiem_publishes_passes_the_same_checks() {
    let p = publisher();
    assert_eq!(offer::validate_tdmrep(&offer::tdmrep(&p).to_string()), Ok(()));
    let policy = offer::policy(&p).to_string();
    assert_eq!(offer::validate_tdm_policy(&policy), Ok(()));
    assert_eq!(offer::validate_odrl(&policy), Ok(()));
    let value: Value = serde_json::from_str(&policy).unwrap();
    let duties: Vec<&str> =
        value["permission"][0]["duty"].as_array().unwrap().iter().map(|d| d["action"].as_str().unwrap()).collect();
    assert_eq!(duties, ["obtainConsent", "compensate"]);
    assert_eq!(value["assigner"]["vcard:hasURL"], "https://ai.stim.example/ai/licence");
    let prefs = offer::ai_preferences(domain::Consent::Included, &["/works/W0000001".into()]);
    assert!(
        prefs.contains("Content-Usage: train-ai=y\n") && prefs.contains("Content-Usage: /works/W0000001 train-ai=n\n"),
        "{prefs}"
    );
}
