//! Public routes: the machine-readable offer, AI preferences, the per-work lookup, the society's published
//! keys and licence verification. No token needed; nothing here reveals a licensee's reports or invoices.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use engine::licensing::{licences, offer};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::ApiQuery;
use crate::wire;
use crate::{ApiError, AppState};
use engine::Actor;

/// At most this many reserved works are listed one by one in the AI-preferences statement.
const MAX_LISTED_RESERVATIONS: u32 = 10_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/tdmrep.json", get(tdmrep))
        .route("/ai/policy.json", get(policy))
        .route("/ai/preferences.txt", get(preferences))
        .route("/ai/licence", get(licence_page))
        .route("/api/v1/works/lookup", get(lookup))
        .route("/api/v1/licences/keys", get(keys))
        .route("/api/v1/licences/verify", post(verify))
        .route("/api/v1/licences/{id}", get(licence_status))
        .route("/openapi.json", get(openapi))
}

async fn society_name(state: &AppState) -> Result<String, ApiError> {
    match engine::registry::society(state.store.as_ref(), &Actor::Public).await {
        Ok(society) => Ok(society.name),
        Err(engine::registry::RegistryError::Store(engine::store::StoreError::NotInitialised)) => {
            Ok("the society".to_owned())
        }
        Err(e) => Err(e.into()),
    }
}

fn publisher<'a>(state: &'a AppState, name: &'a str) -> offer::Publisher<'a> {
    offer::Publisher {
        base_url: &state.config.base_url,
        society_name: name,
        contact_email: &state.config.contact_email,
    }
}

/// The TDMRep reservation file (W3C TDM Reservation Protocol).
#[utoipa::path(get, path = "/.well-known/tdmrep.json", tag = "offer",
    responses((status = 200, description = "TDMRep: reserved, with the policy that licenses it", body = Object)))]
pub(crate) async fn tdmrep(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let name = society_name(&state).await?;
    Ok(Json(offer::tdmrep(&publisher(&state, &name))))
}

/// The TDM Policy: an ODRL offer in the TDMRep profile.
#[utoipa::path(get, path = "/ai/policy.json", tag = "offer",
    responses((status = 200, description = "The ODRL policy", content((Object = "application/ld+json")))))]
pub(crate) async fn policy(State(state): State<AppState>) -> Result<Response, ApiError> {
    let name = society_name(&state).await?;
    let body = offer::policy(&publisher(&state, &name)).to_string();
    Ok(([(header::CONTENT_TYPE, "application/ld+json")], body).into_response())
}

/// AI preferences (`train-ai=n` where reserved).
#[utoipa::path(get, path = "/ai/preferences.txt", tag = "offer",
    responses((status = 200, description = "The society's AI preferences, and each work reserved", content((String = "text/plain")))))]
pub(crate) async fn preferences(State(state): State<AppState>) -> Result<Response, ApiError> {
    let body = match state.preferences.get("preferences") {
        Some(body) => body,
        None => {
            let body = build_preferences(&state).await?;
            state.preferences.put("preferences".into(), body.clone());
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response())
}

async fn build_preferences(state: &AppState) -> Result<String, ApiError> {
    let society = engine::registry::society(state.store.as_ref(), &Actor::Public).await?;
    let today = chrono::Utc::now().date_naive();
    let reserved =
        offer::reserved_work_paths(state.store.as_ref(), &Actor::Public, MAX_LISTED_RESERVATIONS, today).await?;
    Ok(offer::ai_preferences(society.rules.default_consent(domain::Stage::Training), &reserved))
}

/// How to obtain the licence.
#[utoipa::path(get, path = "/ai/licence", tag = "offer",
    responses((status = 200, description = "A page for people", content((String = "text/html")))))]
pub(crate) async fn licence_page(State(state): State<AppState>) -> Result<Html<String>, ApiError> {
    let name = society_name(&state).await?;
    let escape = |t: &str| t.replace('&', "&amp;").replace('<', "&lt;");
    Ok(Html(format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>AI licence</title></head><body><h1>Licensing AI use of {name}'s repertoire</h1><p>{name} offers one blanket licence covering training, providing an AI service and using its outputs. Write to <a href=\"mailto:{mail}\">{mail}</a>. The machine-readable offer is at <a href=\"/ai/policy.json\">/ai/policy.json</a>; look a work up at <code>/api/v1/works/lookup?id=ISWC-or-ISRC</code>.</p></body></html>",
        name = escape(&name),
        mail = escape(&state.config.contact_email)
    )))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct LookupQuery {
    /// An ISWC (T-123.456.789-0) or an ISRC (SE-ABC-26-00001).
    id: String,
}

/// Per-work lookup: per stage, how much of a work the AI licence includes.
#[utoipa::path(get, path = "/api/v1/works/lookup", tag = "offer", params(LookupQuery),
    responses((status = 200, description = "The works the identifier names", body = wire::Lookup)))]
pub(crate) async fn lookup(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<LookupQuery>,
) -> Result<Json<wire::Lookup>, ApiError> {
    let key = offer::LookupKey::parse(&q.id).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-id",
            format!("{:?} is neither a valid ISWC (T-123.456.789-0) nor an ISRC (SE-ABC-26-00001)", q.id),
        )
    })?;
    let works = offer::lookup(
        state.store.as_ref(),
        &Actor::Public,
        &key,
        &state.config.contact_email,
        chrono::Utc::now().date_naive(),
    )
    .await?;
    if works.is_empty() {
        return Err(ApiError::not_found(format!("no work in the repertoire has {}", q.id)));
    }
    Ok(Json(wire::Lookup { id: q.id, works: works.into_iter().map(wire::WorkLookup::from).collect() }))
}

/// The society's public keys, current and retired.
#[utoipa::path(get, path = "/api/v1/licences/keys", tag = "licences",
    responses((status = 200, description = "Every key that has signed a licence", body = wire::KeyList)))]
pub(crate) async fn keys(State(state): State<AppState>) -> Result<Json<wire::KeyList>, ApiError> {
    let keys = licences::published_keys(state.store.as_ref(), &Actor::Public).await?;
    Ok(Json(wire::KeyList { keys: keys.into_iter().map(wire::PublishedKey::from).collect() }))
}

/// Verify a licence certificate and its agreement's standing today (verdicts are cached for less than a
/// second).
#[utoipa::path(post, path = "/api/v1/licences/verify", tag = "licences",
    request_body(content = Object, content_type = "application/json", description = "The certificate file (its JSON, as issued)"),
    responses((status = 200, description = "The verdict", body = wire::Verdict)))]
pub(crate) async fn verify(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty",
            "send the certificate file (its JSON, as issued) as the request body",
        ));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "not-utf8", "send the certificate file as UTF-8 JSON"))?;
    let key: String = Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect();
    if let Some(hit) = state.verdicts.get(&key) {
        return Ok(Json(hit));
    }
    let verdict =
        licences::verify_online(state.store.as_ref(), &Actor::Public, text, chrono::Utc::now().date_naive()).await?;
    let value = serde_json::to_value(wire::Verdict::from(verdict)).unwrap_or(Value::Null);
    state.verdicts.put(key, value.clone());
    Ok(Json(value))
}

/// A licence certificate by id, with its standing today.
#[utoipa::path(get, path = "/api/v1/licences/{id}", tag = "licences",
    params(("id" = String, Path, description = "The licence's id")),
    responses((status = 200, description = "The certificate and its verdict", body = wire::LicenceStatus)))]
pub(crate) async fn licence_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = format!("licence {id}");
    if let Some(hit) = state.verdicts.get(&key) {
        return Ok(Json(hit));
    }
    let today = chrono::Utc::now().date_naive();
    let (licence, verdict) = licences::licence_status(state.store.as_ref(), &Actor::Public, &id, today)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no licence {id}")))?;
    let status = wire::LicenceStatus {
        id: licence.id,
        issued_at: licence.issued_at,
        verdict: verdict.into(),
        certificate: licence.signed.into(),
    };
    let value = serde_json::to_value(status).unwrap_or(Value::Null);
    state.verdicts.put(key, value.clone());
    Ok(Json(value))
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "offer",
    responses((status = 200, description = "The OpenAPI 3.1 document of every route", body = Object)))]
pub(crate) async fn openapi(State(state): State<AppState>) -> Json<Value> {
    Json(crate::openapi::document(&state.config.base_url))
}
