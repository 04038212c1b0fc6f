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
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::ApiQuery;
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

async fn tdmrep(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let name = society_name(&state).await?;
    Ok(Json(offer::tdmrep(&publisher(&state, &name))))
}

async fn policy(State(state): State<AppState>) -> Result<Response, ApiError> {
    let name = society_name(&state).await?;
    let body = offer::policy(&publisher(&state, &name)).to_string();
    Ok(([(header::CONTENT_TYPE, "application/ld+json")], body).into_response())
}

async fn preferences(State(state): State<AppState>) -> Result<Response, ApiError> {
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

async fn licence_page(State(state): State<AppState>) -> Result<Html<String>, ApiError> {
    let name = society_name(&state).await?;
    let escape = |t: &str| t.replace('&', "&amp;").replace('<', "&lt;");
    Ok(Html(format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>AI licence</title></head><body><h1>Licensing AI use of {name}'s repertoire</h1><p>{name} offers one blanket licence covering training, providing an AI service and using its outputs. Write to <a href=\"mailto:{mail}\">{mail}</a>. The machine-readable offer is at <a href=\"/ai/policy.json\">/ai/policy.json</a>; look a work up at <code>/api/v1/works/lookup?id=ISWC-or-ISRC</code>.</p></body></html>",
        name = escape(&name),
        mail = escape(&state.config.contact_email)
    )))
}

#[derive(Debug, Deserialize)]
struct LookupQuery {
    id: String,
}

async fn lookup(State(state): State<AppState>, ApiQuery(q): ApiQuery<LookupQuery>) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({ "id": q.id, "works": works })))
}

async fn keys(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let keys = licences::published_keys(state.store.as_ref(), &Actor::Public).await?;
    Ok(Json(json!({ "keys": keys })))
}

/// Verifies a certificate and says whether the agreement behind it stands today. Verdicts are cached for
/// less than a second.
async fn verify(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
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
    let value = serde_json::to_value(&verdict).unwrap_or(Value::Null);
    state.verdicts.put(key, value.clone());
    Ok(Json(value))
}

async fn licence_status(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let key = format!("licence {id}");
    if let Some(hit) = state.verdicts.get(&key) {
        return Ok(Json(hit));
    }
    let today = chrono::Utc::now().date_naive();
    let (licence, verdict) = licences::licence_status(state.store.as_ref(), &Actor::Public, &id, today)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no licence {id}")))?;
    let value =
        json!({ "id": licence.id, "issued_at": licence.issued_at, "verdict": verdict, "certificate": licence.signed });
    state.verdicts.put(key, value.clone());
    Ok(Json(value))
}

async fn openapi(State(state): State<AppState>) -> Json<Value> {
    Json(crate::openapi::document(&state.config.base_url))
}
