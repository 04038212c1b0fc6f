//! The society's machine-readable offer and its members' reservations: the TDMRep file
//! (`/.well-known/tdmrep.json`), the TDM Policy (an ODRL Offer in the TDMRep profile, with the duties to
//! obtain consent and to compensate, pointing at how to get the licence), an AI-preferences statement
//! (`train-ai=n` where training is reserved), and the per-work lookup that says, per stage, how much of a
//! work the society's AI licence includes and whom to ask for the rest.
//!
//! Validators for both formats, following TDMRep (W3C CG Final Report 2024-05-10) §5–§7 and the ODRL
//! Information Model 2.2 §2, check what is published here and are themselves tested on the examples
//! published with those specifications (`tests/fixtures/spec-examples`).

use chrono::NaiveDate;
use domain::{Consent, Isrc, Iswc, LicensedShare, Stage};
use serde::Serialize;
use serde_json::{Value, json};

use crate::store::LicensingStore;
use ports::StoreError;
use ports::access::{Actor, Denied, Scope, UseCase};
use repertoire::registry;

/// Why a look-up could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum OfferError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Denied(#[from] Denied),
}

pub const ODRL_CONTEXT: &str = "http://www.w3.org/ns/odrl.jsonld";
pub const TDMREP_CONTEXT: &str = "http://www.w3.org/ns/tdmrep.jsonld";
pub const TDMREP_PROFILE: &str = "http://www.w3.org/ns/tdmrep";

/// Where the society publishes and how a licensee reaches it.
#[derive(Debug, Clone)]
pub struct Publisher<'a> {
    /// The server's public base URL, e.g. `https://ai.stim.se`.
    pub base_url: &'a str,
    pub society_name: &'a str,
    pub contact_email: &'a str,
}

impl Publisher<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }
}

/// `/.well-known/tdmrep.json`: text and data mining of the repertoire pages is reserved, and the policy
/// says how to obtain a licence.
pub fn tdmrep(p: &Publisher<'_>) -> Value {
    json!([
        { "location": "/works/", "tdm-reservation": 1, "tdm-policy": p.url("/ai/policy.json") },
        { "location": "/", "tdm-reservation": 1, "tdm-policy": p.url("/ai/policy.json") }
    ])
}

/// The TDM Policy: an ODRL Offer in the TDMRep profile.
pub fn policy(p: &Publisher<'_>) -> Value {
    json!({
        "@context": [ODRL_CONTEXT, TDMREP_CONTEXT],
        "@type": "Offer",
        "profile": TDMREP_PROFILE,
        "uid": p.url("/ai/policy.json"),
        "assigner": {
            "uid": p.url("/"),
            "vcard:fn": p.society_name,
            "vcard:hasEmail": format!("mailto:{}", p.contact_email),
            "vcard:hasURL": p.url("/ai/licence")
        },
        "permission": [{
            "target": p.url("/works/"),
            "action": "tdm:mine",
            "duty": [{ "action": "obtainConsent" }, { "action": "compensate" }]
        }]
    })
}

/// The AI-preferences statement (IETF AI Preferences vocabulary, in robots.txt's `Content-Usage` form):
/// the society's default, and the reserved works listed with `train-ai=n`.
pub fn ai_preferences(default_training: Consent, reserved_work_paths: &[String]) -> String {
    let mut out = String::from("# AI preferences of the society's repertoire (IETF aipref vocabulary).\n");
    out.push_str("# Training is offered under licence; see /ai/policy.json and /ai/licence.\n");
    out.push_str("User-Agent: *\n");
    let default = if default_training == Consent::Included { "train-ai=y" } else { "train-ai=n" };
    out.push_str(&format!("Content-Usage: {default}\n"));
    for path in reserved_work_paths {
        out.push_str(&format!("Content-Usage: {path} train-ai=n\n"));
    }
    out
}

/// A work's inclusion in the AI licence, per stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkLookup {
    pub work: String,
    pub title: String,
    pub iswc: Option<String>,
    pub stages: Vec<StageInclusion>,
    /// Whom to ask for what the licence does not include.
    pub contact: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageInclusion {
    pub stage: Stage,
    /// `wholly`, `partly` or `not`.
    pub included: &'static str,
    /// The included share, e.g. `62.50%`.
    pub share: String,
    /// Holders who reserved their share: ask them (or their publisher) directly.
    pub reserved_by: Vec<String>,
}

/// What a lookup key names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupKey {
    Iswc(Iswc),
    Isrc(Isrc),
}

impl LookupKey {
    pub fn parse(text: &str) -> Option<LookupKey> {
        Iswc::parse(text).map(LookupKey::Iswc).ok().or_else(|| Isrc::parse(text).map(LookupKey::Isrc).ok())
    }
}

/// Looks works up by ISWC or ISRC and says, for each stage, how much of each the licence includes.
#[tracing::instrument(skip_all)]
pub async fn lookup(
    store: &dyn LicensingStore,
    actor: &Actor,
    key: &LookupKey,
    contact: &str,
    today: NaiveDate,
) -> Result<Vec<WorkLookup>, OfferError> {
    actor.may(UseCase::LookupWork, Scope::Society)?;
    let codes = match key {
        LookupKey::Iswc(iswc) => vec![iswc.to_string()],
        LookupKey::Isrc(isrc) => store.works_by_isrc(isrc.as_str()).await?,
    };
    let mut out = Vec::new();
    for code in codes {
        let Some(detail) = store.work(&code).await? else { continue };
        let shares = registry::licensed_shares(store, &detail, today).await?;
        out.push(WorkLookup {
            work: detail.summary.code.clone(),
            title: detail.summary.title.clone(),
            iswc: detail.summary.iswc.as_ref().map(ToString::to_string),
            stages: shares.iter().map(inclusion).collect(),
            contact: contact.to_owned(),
        });
    }
    Ok(out)
}

fn inclusion(share: &LicensedShare) -> StageInclusion {
    let included = if share.licensed.is_zero() {
        "not"
    } else if share.reserved.is_zero() {
        "wholly"
    } else {
        "partly"
    };
    StageInclusion {
        stage: share.stage,
        included,
        share: share.licensed.to_string(),
        reserved_by: share.holders.iter().filter(|h| h.consent == Consent::Reserved).map(|h| h.name.clone()).collect(),
    }
}

/// Checks a `tdmrep.json` document (TDMRep §6.1): an array of rules, each with a `location` path pattern
/// and a `tdm-reservation` of 0 or 1, and optionally a `tdm-policy` URL.
pub fn validate_tdmrep(text: &str) -> Result<(), Vec<String>> {
    let value: Value = serde_json::from_str(text).map_err(|e| vec![format!("not JSON: {e}")])?;
    let Value::Array(rules) = value else { return Err(vec!["the top level must be an array of rules".into()]) };
    let mut problems = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let Value::Object(rule) = rule else {
            problems.push(format!("rule {i} is not an object"));
            continue;
        };
        match rule.get("location") {
            Some(Value::String(l)) if l.starts_with('/') || l.starts_with('*') => {}
            Some(_) => problems.push(format!("rule {i}: location must be a path pattern such as /works/")),
            None => problems.push(format!("rule {i}: location is mandatory")),
        }
        match rule.get("tdm-reservation") {
            Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n <= 1) => {}
            Some(_) => problems.push(format!("rule {i}: tdm-reservation must be 0 or 1")),
            None => problems.push(format!("rule {i}: tdm-reservation is mandatory")),
        }
        match rule.get("tdm-policy") {
            None => {}
            Some(Value::String(url)) if url.starts_with("http://") || url.starts_with("https://") => {}
            Some(_) => problems.push(format!("rule {i}: tdm-policy must be an http(s) URL")),
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

fn rules<'a>(policy: &'a serde_json::Map<String, Value>, kind: &str) -> Vec<&'a Value> {
    match policy.get(kind) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item) => vec![item],
        None => Vec::new(),
    }
}

/// Checks an ODRL 2.2 policy (Information Model §2.1, §2.6): one `uid`; at least one permission,
/// prohibition or obligation; every rule with an `action`; permissions and prohibitions with a `target`
/// (on the rule or shared at policy level); an Offer with an assigner and an Agreement with an assigner
/// and an assignee (on the policy or on every rule).
pub fn validate_odrl(text: &str) -> Result<(), Vec<String>> {
    let value: Value = serde_json::from_str(text).map_err(|e| vec![format!("not JSON: {e}")])?;
    let Value::Object(policy) = value else { return Err(vec!["a policy must be a JSON object".into()]) };
    let mut problems = Vec::new();
    if !matches!(policy.get("uid"), Some(Value::String(_))) {
        problems.push("a policy must have one uid (an IRI)".into());
    }
    let kind = policy.get("@type").and_then(Value::as_str).unwrap_or("Set");
    let all: Vec<(&str, &Value)> = ["permission", "prohibition", "obligation"]
        .into_iter()
        .flat_map(|k| rules(&policy, k).into_iter().map(move |r| (k, r)))
        .collect();
    if all.is_empty() {
        problems.push("a policy must have at least one permission, prohibition or obligation".into());
    }
    let shared = |key: &str| policy.contains_key(key);
    for (i, (k, rule)) in all.iter().enumerate() {
        let Value::Object(rule) = rule else {
            problems.push(format!("{k} {i} is not an object"));
            continue;
        };
        if !rule.contains_key("action") {
            problems.push(format!("{k} {i} has no action"));
        }
        if *k != "obligation" && !rule.contains_key("target") && !shared("target") {
            problems.push(format!("{k} {i} has no target"));
        }
        let needs: &[&str] = match kind {
            "Offer" => &["assigner"],
            "Agreement" => &["assigner", "assignee"],
            _ => &[],
        };
        for party in needs {
            if !rule.contains_key(*party) && !shared(party) {
                problems.push(format!("an {kind} needs an {party}: {k} {i} has none"));
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// Checks a TDM Policy: an ODRL Offer (TDMRep §7.1) with the two contexts, the TDMRep profile, one
/// assigner and permissions whose action is `tdm:mine` (a target is optional in this profile).
pub fn validate_tdm_policy(text: &str) -> Result<(), Vec<String>> {
    let value: Value = serde_json::from_str(text).map_err(|e| vec![format!("not JSON: {e}")])?;
    let mut problems = Vec::new();
    if value.get("@context") != Some(&json!([ODRL_CONTEXT, TDMREP_CONTEXT])) {
        problems.push(format!("@context must be [{ODRL_CONTEXT:?}, {TDMREP_CONTEXT:?}]"));
    }
    if value.get("@type").and_then(Value::as_str) != Some("Offer") {
        problems.push("@type must be Offer".into());
    }
    if value.get("profile").and_then(Value::as_str) != Some(TDMREP_PROFILE) {
        problems.push(format!("profile must be {TDMREP_PROFILE}"));
    }
    if !matches!(value.get("uid"), Some(Value::String(_))) {
        problems.push("the policy must have a uid".into());
    }
    if !matches!(value.get("assigner"), Some(Value::Object(_))) {
        problems.push("the policy must have one assigner, described with vCard properties".into());
    }
    match value.get("permission") {
        Some(Value::Array(ps)) if !ps.is_empty() => {
            for (i, p) in ps.iter().enumerate() {
                if p.get("action").and_then(Value::as_str) != Some("tdm:mine") {
                    problems.push(format!("permission {i}: action must be tdm:mine"));
                }
            }
        }
        _ => problems.push("the policy must have a permission array".into()),
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// Paths of the works whose training is reserved by every holder (for the AI-preferences statement), of
/// at most `limit` works that hold a reservation.
#[tracing::instrument(skip_all)]
pub async fn reserved_work_paths(
    store: &dyn LicensingStore,
    actor: &Actor,
    limit: u32,
    today: NaiveDate,
) -> Result<Vec<String>, OfferError> {
    actor.may(UseCase::ReservedWorks, Scope::Society)?;
    let codes = store.works_with_reservations(Stage::Training, limit).await?;
    let mut out = Vec::new();
    for code in &codes {
        let Some(detail) = store.work(code).await? else { continue };
        let shares = registry::licensed_shares(store, &detail, today).await?;
        if shares.iter().any(|s| s.stage == Stage::Training && s.licensed.is_zero() && !s.holders.is_empty()) {
            out.push(format!("/works/{code}"));
        }
    }
    Ok(out)
}
