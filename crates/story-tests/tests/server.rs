//! The HTTP server on SQLite and PostgreSQL: every route in the OpenAPI document answers; a licensee's
//! token cannot read or write another licensee's data on any route; reports go in through the API with
//! the same idempotency and errors as the CLI; limits hold; a suspension shows in verification within a
//! second.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use domain::licensing::AgreementStatus;
use engine::Store;
use engine::licensing::{Archive, licences, licensees, tokens};
use http_body_util::BodyExt;
use serde_json::Value;
use story_tests::story;
use tower::ServiceExt;

mod common;
use common::{add_tunebird, at, set_up};

const SERVICE_REPORT: &[u8] = include_bytes!("../../../docs/examples/songfox-service-2026-03.json");
const MANIFEST: &[u8] = include_bytes!("../../../docs/examples/songfox-sf-1-manifest.csv");
const SUMMARY: &[u8] = include_bytes!("../../../docs/examples/songfox-sf-1-summary.json");
const PASSPHRASE: &str = "a long test passphrase";

struct Fixture {
    router: axum::Router,
    songfox: String,
    tunebird: String,
    licence_id: String,
    _dir: tempfile::TempDir,
}

async fn fixture(store: &Arc<dyn Store>, config: server::Config) -> Fixture {
    set_up(store).await;
    add_tunebird(store).await;
    let s = store.as_ref();
    let songfox =
        tokens::create(s, story_tests::staff(), story_tests::songfox(), "test", &engine::OsEntropy, at(2026, 1, 2))
            .await
            .unwrap();
    let tunebird =
        tokens::create(s, story_tests::staff(), story_tests::tunebird(), "test", &engine::OsEntropy, at(2026, 1, 2))
            .await
            .unwrap();
    licences::rotate_key(s, story_tests::staff(), PASSPHRASE, &engine::FixedEntropy::new(1), at(2026, 1, 2))
        .await
        .unwrap();
    let licence = licences::issue_licence(s, story_tests::staff(), story_tests::songfox(), PASSPHRASE, at(2026, 1, 2))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = server::AppState::new(store.clone(), Archive::new(dir.path()), config);
    Fixture { router: server::router(state), songfox, tunebird, licence_id: licence.id, _dir: dir }
}

async fn call(
    router: &axum::Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Vec<u8>) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        request = request.header("Authorization", format!("Bearer {t}"));
    }
    let response = router.clone().oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
    let status = response.status();
    (status, response.into_body().collect().await.unwrap().to_bytes().to_vec())
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|_| panic!("JSON: {}", String::from_utf8_lossy(bytes)))
}

/// Fills a path template with the licensee and ids that exist for `owner`.
fn fill(template: &str, licensee: &str, report_id: &str, invoice: &str, licence: &str) -> String {
    template
        .replace("{licensee}", licensee)
        .replace("{report_id}", report_id)
        .replace("{number}", invoice)
        .replace("{id}", licence)
        .replace("{disclosure}", "D000001")
}

/// Uploads the example manifest and summary and discloses them for sf-1; returns the POST body used.
async fn disclose_example(f: &Fixture) -> Vec<u8> {
    let mut files = Vec::new();
    for (name, bytes) in [("manifest.csv", MANIFEST), ("summary.json", SUMMARY)] {
        let uri = "/api/v1/licensees/songfox/disclosure-files";
        let (status, body) = call(&f.router, Method::POST, uri, Some(&f.songfox), bytes.to_vec()).await;
        assert!(status.is_success(), "{status}: {}", String::from_utf8_lossy(&body));
        files.push(serde_json::json!({ "sha256": json(&body)["sha256"], "name": name }));
    }
    let request = serde_json::to_vec(&serde_json::json!({ "model_version": "sf-1", "files": files })).unwrap();
    let (status, body) =
        call(&f.router, Method::POST, "/api/v1/licensees/songfox/disclosures", Some(&f.songfox), request.clone()).await;
    assert!(status.is_success(), "{status}: {}", String::from_utf8_lossy(&body));
    request
}

/// The disclosure's view once its background matching and assessment have ended (within five seconds).
async fn assessed(f: &Fixture, show: &str) -> Value {
    let mut view = Value::Null;
    for _ in 0..100 {
        let (status, body) = call(&f.router, Method::GET, show, Some(&f.songfox), vec![]).await;
        assert_eq!(status, StatusCode::OK);
        view = json(&body);
        if view["status"] == "assessed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(view["status"], "assessed", "{view}");
    view
}

async fn no_token_reaches_another_licensees_data(store: &Arc<dyn Store>) {
    let f = fixture(store, server::Config::default()).await;
    // Songfox reports March; an invoice exists for it.
    let (status, _) =
        call(&f.router, Method::POST, "/api/v1/licensees/songfox/reports", Some(&f.songfox), SERVICE_REPORT.to_vec())
            .await;
    assert_eq!(status, StatusCode::CREATED);
    let run = engine::licensing::invoicing::InvoiceRun {
        period: domain::Period::month(2026, 3).unwrap(),
        licensee: Some("songfox"),
        issued_on: common::day(2026, 4, 15),
        now: at(2026, 4, 15),
        rates: &[],
    };
    engine::licensing::invoicing::run_invoices(store.as_ref(), story_tests::staff(), &run).await.unwrap();
    let disclosure_request = disclose_example(&f).await;

    let (status, body) = call(&f.router, Method::GET, "/openapi.json", None, vec![]).await;
    assert_eq!(status, StatusCode::OK);
    let document = json(&body);
    let paths = document["paths"].as_object().unwrap();
    // What the routes answer is documented: a report of an unknown format (415), an invoice as CSV or HTML.
    assert!(paths["/api/v1/licensees/{licensee}/reports"]["post"]["responses"].get("415").is_some());
    let invoice = &paths["/api/v1/licensees/{licensee}/invoices/{number}"]["get"]["responses"]["200"]["content"];
    assert!(invoice.get("text/csv").is_some() && invoice.get("text/html").is_some(), "{invoice}");
    let (mut licensee_routes, mut holder_routes) = (0, 0);
    for (template, operations) in paths {
        for method in operations.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let body = match (method.clone(), template.as_str()) {
                (Method::POST, t) if t.ends_with("/disclosures") => disclosure_request.clone(),
                (Method::POST, t) if t.ends_with("/disclosure-files") => MANIFEST.to_vec(),
                (Method::POST, _) => SERVICE_REPORT.to_vec(),
                _ => br#"{}"#.to_vec(),
            };
            if template.contains("{party}") || template.contains("{society}") {
                // A member's and a sister society's routes (walked with their own tokens in the distribution
                // story): unauthorised without a token, refused with a licensee's.
                holder_routes += 1;
                let uri =
                    template.replace("{party}", "IPI:00014107338").replace("{society}", "052").replace("{run}", "1");
                let (status, _) = call(&f.router, method.clone(), &uri, None, body.clone()).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri} without a token");
                let (status, _) = call(&f.router, method.clone(), &uri, Some(&f.songfox), body).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri} with a licensee's token");
                continue;
            }
            if !template.contains("{licensee}") {
                // Public routes answer without a token.
                let uri = fill(template, "", "", "", &f.licence_id);
                let uri = if template.contains("lookup") {
                    format!("{uri}?id={}", testkit::Generator::iswc_for(10_000_001))
                } else {
                    uri
                };
                let (status, _) = call(&f.router, method.clone(), &uri, None, body).await;
                assert_eq!(status, StatusCode::OK, "{method} {uri}");
                continue;
            }
            licensee_routes += 1;
            let own = fill(template, "songfox", "SF-SERVICE-2026-03", "INV-2026-000001", "");
            let (status, _) = call(&f.router, method.clone(), &own, Some(&f.songfox), body.clone()).await;
            assert!(status.is_success(), "{method} {own} with its own token: {status}");
            // Tunebird's token on Songfox's data: refused.
            let (status, _) = call(&f.router, method.clone(), &own, Some(&f.tunebird), body.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {own} with another licensee's token");
            // Tunebird's own path naming Songfox's report, invoice or disclosure: not found.
            if template.contains("{report_id}") || template.contains("{number}") || template.contains("{disclosure}") {
                let theirs = fill(template, "tunebird", "SF-SERVICE-2026-03", "INV-2026-000001", "");
                let (status, _) = call(&f.router, method.clone(), &theirs, Some(&f.tunebird), body.clone()).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{method} {theirs}");
            }
            // No token, or a made-up one: unauthorised.
            let (status, _) = call(&f.router, method.clone(), &own, None, body.clone()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {own} without a token");
            let forged = format!("tnt_{}", "0".repeat(64));
            let (status, _) = call(&f.router, method.clone(), &own, Some(&forged), body).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {own} with a forged token");
        }
    }
    assert_eq!((licensee_routes, holder_routes), (13, 2));
    // Tunebird's list of invoices holds none of Songfox's.
    let (_, body) =
        call(&f.router, Method::GET, "/api/v1/licensees/tunebird/invoices", Some(&f.tunebird), vec![]).await;
    assert_eq!(json(&body)["invoices"], serde_json::json!([]));
    // The disclosure settles the presumption part in the background: the books are verified after it.
    assessed(&f, "/api/v1/licensees/songfox/disclosures/D000001").await;
    story_tests::books_verify(store.as_ref()).await;
}

async fn reports_through_the_api(store: &Arc<dyn Store>) {
    let config = server::Config { max_report_bytes: 4096, token_rate_per_second: 100, ..server::Config::default() };
    let f = fixture(store, config).await;
    let uri = "/api/v1/licensees/songfox/reports";
    let (status, body) = call(&f.router, Method::POST, uri, Some(&f.songfox), SERVICE_REPORT.to_vec()).await;
    assert_eq!((status, json(&body)["outcome"].as_str()), (StatusCode::CREATED, Some("new")));
    let (status, body) = call(&f.router, Method::POST, uri, Some(&f.songfox), SERVICE_REPORT.to_vec()).await;
    assert_eq!((status, json(&body)["outcome"].as_str()), (StatusCode::OK, Some("already-received")));
    let broken = String::from_utf8(SERVICE_REPORT.to_vec()).unwrap().replace("\"NO\"", "\"Norway\"");
    let (status, body) = call(&f.router, Method::POST, uri, Some(&f.songfox), broken.into_bytes()).await;
    let body = json(&body);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["diagnostics"][0]["line"], 10);
    assert!(body["diagnostics"][0]["message"].as_str().unwrap().contains("\"Norway\" is not an ISO 3166"));
    let (status, _) = call(&f.router, Method::POST, uri, Some(&f.songfox), vec![b' '; 5000]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, body) = call(&f.router, Method::POST, uri, Some(&f.songfox), b"<xml/>".to_vec()).await;
    assert_eq!((status, json(&body)["error"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unknown-format")));
    let (_, body) = call(&f.router, Method::GET, uri, Some(&f.songfox), vec![]).await;
    assert_eq!(json(&body)["reports"].as_array().unwrap().len(), 1);
    // A revoked token opens nothing.
    let listed = tokens::list(store.as_ref(), story_tests::staff(), story_tests::songfox()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        tokens::revoke(
            store.as_ref(),
            story_tests::staff(),
            story_tests::songfox(),
            &listed[0].hash_prefix,
            chrono::Utc::now()
        )
        .await
        .unwrap(),
        1
    );
    let (status, _) = call(&f.router, Method::GET, uri, Some(&f.songfox), vec![]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn limits_and_verification(store: &Arc<dyn Store>) {
    let config = server::Config { token_rate_per_second: 1, client_rate_per_second: 1, ..server::Config::default() };
    let f = fixture(store, config).await;
    // A burst of three, then the fourth request in the same second is refused.
    let uri = "/api/v1/licensees/tunebird";
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(call(&f.router, Method::GET, uri, Some(&f.tunebird), vec![]).await.0);
    }
    assert_eq!(statuses, [StatusCode::OK, StatusCode::OK, StatusCode::OK, StatusCode::TOO_MANY_REQUESTS]);
    // A body over 64 KiB on a public route is refused.
    let (status, _) = call(&f.router, Method::POST, "/api/v1/licences/verify", None, vec![b'{'; 70_000]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // Each client address is limited on every route before any token is looked up: a burst of three, then
    // refused, forged tokens and public routes alike; another address is not held up by it.
    let from = |ip: [u8; 4], uri: &str, token: Option<&str>| {
        let mut request = Request::builder().uri(uri);
        if let Some(t) = token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        let mut request = request.body(Body::empty()).unwrap();
        request.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((ip, 4000))));
        request
    };
    let forged = format!("tnt_{}", "1".repeat(64));
    let mut statuses = Vec::new();
    for uri in ["/api/v1/licensees/songfox", "/api/v1/licensees/songfox", "/ai/policy.json", "/ai/policy.json"] {
        statuses.push(f.router.clone().oneshot(from([10, 0, 0, 7], uri, Some(&forged))).await.unwrap().status());
    }
    assert_eq!(
        statuses,
        [StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED, StatusCode::OK, StatusCode::TOO_MANY_REQUESTS]
    );
    let other = f.router.clone().oneshot(from([10, 0, 0, 8], "/ai/policy.json", None)).await.unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    // Nothing to verify is a request error, in JSON like every error; so is a query string that does not fit.
    let (status, body) = call(&f.router, Method::POST, "/api/v1/licences/verify", None, vec![]).await;
    assert_eq!((status, json(&body)["error"].as_str()), (StatusCode::BAD_REQUEST, Some("empty")));
    let (status, body) = call(&f.router, Method::GET, "/api/v1/works/lookup?iswc=T1", None, vec![]).await;
    assert_eq!((status, json(&body)["error"].as_str()), (StatusCode::BAD_REQUEST, Some("bad-query")));
    let (status, body) =
        call(&f.router, Method::GET, "/api/v1/licensees/songfox/invoices/x?format", Some(&f.songfox), vec![]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(&body));
    // The authentication scheme's name is case-insensitive.
    let request = Request::builder()
        .uri("/api/v1/licensees/songfox")
        .header("Authorization", format!("bearer {}", f.songfox))
        .body(Body::empty())
        .unwrap();
    assert_eq!(f.router.clone().oneshot(request).await.unwrap().status(), StatusCode::OK);

    let licence = store.licence(&f.licence_id).await.unwrap().unwrap();
    let certificate = serde_json::to_vec(&licence.signed).unwrap();
    let (status, body) = call(&f.router, Method::POST, "/api/v1/licences/verify", None, certificate.clone()).await;
    assert_eq!((status, json(&body)["status"].as_str()), (StatusCode::OK, Some("valid")));
    // Suspended from today: visible within a second.
    let agreement = store.agreement_of("songfox").await.unwrap().unwrap();
    let latest = agreement.latest().unwrap();
    let mut suspended = licensees::coverage_of(&latest.coverage, chrono::Utc::now().date_naive());
    suspended.status = AgreementStatus::Suspended;
    licensees::amend_agreement(
        store.as_ref(),
        story_tests::staff(),
        story_tests::songfox(),
        suspended,
        latest.terms.clone(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (_, body) = call(&f.router, Method::POST, "/api/v1/licences/verify", None, certificate.clone()).await;
    assert_eq!(
        (json(&body)["signature_valid"].as_bool(), json(&body)["status"].as_str()),
        (Some(true), Some("suspended"))
    );
    let (_, body) = call(&f.router, Method::GET, &format!("/api/v1/licences/{}", f.licence_id), None, vec![]).await;
    assert_eq!(json(&body)["verdict"]["status"], "suspended");
    let mut tampered = certificate;
    let at = tampered.iter().position(|b| *b == b'S').unwrap();
    tampered[at] = b'T';
    let (_, body) = call(&f.router, Method::POST, "/api/v1/licences/verify", None, tampered).await;
    assert_eq!(json(&body)["status"], "invalid");
}

/// A disclosure through the API: files uploaded (the same bytes twice are kept once; an unknown kind is
/// refused), a disclosure of them validated at once and matched and assessed in the background, its matches
/// read page by page; a manifest with errors refused with its lines.
async fn disclosures_through_the_api(store: &Arc<dyn Store>) {
    let f = fixture(store, server::Config::default()).await;
    let upload = "/api/v1/licensees/songfox/disclosure-files";
    let (status, first) = call(&f.router, Method::POST, upload, Some(&f.songfox), MANIFEST.to_vec()).await;
    assert_eq!((status, json(&first)["kind"].as_str()), (StatusCode::CREATED, Some("manifest-csv")));
    let (status, again) = call(&f.router, Method::POST, upload, Some(&f.songfox), MANIFEST.to_vec()).await;
    assert_eq!((status, json(&again)["sha256"].clone()), (StatusCode::OK, json(&first)["sha256"].clone()));
    let (status, body) = call(&f.router, Method::POST, upload, Some(&f.songfox), b"just notes\n".to_vec()).await;
    assert_eq!((status, json(&body)["error"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unknown-format")));

    let request = disclose_example(&f).await;
    let (status, body) =
        call(&f.router, Method::POST, "/api/v1/licensees/songfox/disclosures", Some(&f.songfox), request).await;
    assert_eq!((status, json(&body)["outcome"].as_str()), (StatusCode::OK, Some("already-received")));
    let show = "/api/v1/licensees/songfox/disclosures/D000001";
    let view = assessed(&f, show).await;
    assert_eq!(view["view"]["assessment"]["verdict"], "full");
    let (_, body) =
        call(&f.router, Method::GET, &format!("{show}/matches?status=unmatched&limit=2"), Some(&f.songfox), vec![])
            .await;
    let page = json(&body);
    assert_eq!(page["matches"].as_array().unwrap().len(), 2);
    assert_eq!(page["matches"][0]["status"], "unmatched");
    let after = page["matches"][1]["item"].as_u64().unwrap();
    let (_, body) = call(
        &f.router,
        Method::GET,
        &format!("{show}/matches?status=unmatched&after={after}"),
        Some(&f.songfox),
        vec![],
    )
    .await;
    assert!(json(&body)["matches"].as_array().unwrap().iter().all(|m| m["item"].as_u64().unwrap() > after));
    // Tunebird cannot read Songfox's disclosure, even through its own path.
    let (status, _) =
        call(&f.router, Method::GET, "/api/v1/licensees/tunebird/disclosures/D000001", Some(&f.tunebird), vec![]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An id that cannot be one is refused with the form it must have.
    let (status, body) =
        call(&f.router, Method::GET, "/api/v1/licensees/songfox/disclosures/1%3B", Some(&f.songfox), vec![]).await;
    let body = json(&body);
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("bad-id")), "{body}");
    assert!(body["detail"].as_str().unwrap().contains("D and six digits"), "{body}");
    // Nor name Songfox's upload in a disclosure of its own: a licensee names only the files it uploaded.
    let borrowed = serde_json::json!({ "model_version": "tb-1", "files": [{ "sha256": json(&first)["sha256"] }] });
    let (status, body) = call(
        &f.router,
        Method::POST,
        "/api/v1/licensees/tunebird/disclosures",
        Some(&f.tunebird),
        serde_json::to_vec(&borrowed).unwrap(),
    )
    .await;
    let body = json(&body);
    assert_eq!((status, body["error"].as_str()), (StatusCode::NOT_FOUND, Some("not-found")), "{body}");
    assert!(body["detail"].as_str().unwrap().contains("upload it to disclosure-files first"), "{body}");

    let broken = b"title,artists,duration\nOne,A,3:10\nTwo,B,ten\n".to_vec();
    let (_, body) = call(&f.router, Method::POST, upload, Some(&f.songfox), broken).await;
    let request = serde_json::json!({ "model_version": "sf-2", "files": [{ "sha256": json(&body)["sha256"], "name": "broken.csv" }] });
    let (status, body) = call(
        &f.router,
        Method::POST,
        "/api/v1/licensees/songfox/disclosures",
        Some(&f.songfox),
        serde_json::to_vec(&request).unwrap(),
    )
    .await;
    let body = json(&body);
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid-disclosure")));
    assert_eq!(body["diagnostics"][0]["line"], 3);
    assert!(body["diagnostics"][0]["message"].as_str().unwrap().starts_with("broken.csv: "), "{body}");
    let unknown = serde_json::json!({ "model_version": "sf-2", "files": [{ "sha256": "0".repeat(64) }] });
    let (status, _) = call(
        &f.router,
        Method::POST,
        "/api/v1/licensees/songfox/disclosures",
        Some(&f.songfox),
        serde_json::to_vec(&unknown).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

story!(
    no_token_reaches_another_licensees_data,
    reports_through_the_api,
    limits_and_verification,
    disclosures_through_the_api
);
