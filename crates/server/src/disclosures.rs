//! The licensee API's disclosures: files are uploaded one per request (streamed into the archive, their
//! kind told and answered), then named in a disclosure of a model version, which is validated at once and
//! matched and assessed in the background; the licensee reads its disclosures and their matches (a
//! manifest is the licensee's own and the society's, no one else's).

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use engine::disclosure::intake::{self, Received, Submission};
use engine::disclosure::run::{self, MatchRun};
use engine::disclosure::{DeclaredTotals, DisclosureError, MatchStatus, views};
use formats::disclosure::DisclosureFileKind;
use futures::TryStreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::auth::Authorised;
use crate::{ApiError, AppState};

/// The upload route (its body limit is the largest disclosure file's).
pub fn upload_routes() -> Router<AppState> {
    Router::new().route("/api/v1/licensees/{licensee}/disclosure-files", post(upload))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/licensees/{licensee}/disclosures", get(list).post(submit))
        .route("/api/v1/licensees/{licensee}/disclosures/{disclosure}", get(show))
        .route("/api/v1/licensees/{licensee}/disclosures/{disclosure}/matches", get(matches))
}

/// Streams one file into the archive and says what it is; an unknown kind is refused and not kept.
async fn upload(State(state): State<AppState>, _who: Authorised, body: Body) -> Result<Response, ApiError> {
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let reader = SyncIoBridge::new(StreamReader::new(stream));
    let archive = state.archive.clone();
    let limit = state.config.max_disclosure_bytes as u64;
    let archived = tokio::task::spawn_blocking(move || archive.put(reader, limit))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "archive", e.to_string()))?
        .map_err(|e| {
            if e.to_string().contains("larger than the limit") {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", e.to_string())
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "unreadable", format!("the upload could not be read: {e}"))
            }
        })?;
    let head = state
        .archive
        .head(&archived.sha256, 64 * 1024)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "archive", e.to_string()))?;
    let Some(kind) = DisclosureFileKind::detect(&head) else {
        state.archive.discard(&archived);
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unknown-format",
            "not a disclosure file: expected a training manifest (CSV, JSON Lines, Parquet), an AI Act summary or Croissant metadata; see docs/disclosures.md",
        ));
    };
    let status = if archived.fresh { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(json!({ "sha256": archived.sha256, "size": archived.size, "kind": kind }))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRef {
    sha256: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DisclosureRequest {
    model_version: String,
    files: Vec<FileRef>,
    #[serde(default)]
    declared_items: Option<u64>,
    /// Hours as a decimal string (`"1.92"`).
    #[serde(default)]
    declared_hours: Option<String>,
}

/// Validates a disclosure of uploaded files at once; matches and assesses it in the background.
async fn submit(State(state): State<AppState>, who: Authorised, body: axum::body::Bytes) -> Result<Response, ApiError> {
    let request: DisclosureRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            format!("line {}: {e}: send {{\"model_version\": ..., \"files\": [{{\"sha256\": ...}}]}}", e.line()),
        )
    })?;
    let mut files = Vec::new();
    for f in &request.files {
        let well_formed = f.sha256.len() == 64 && f.sha256.bytes().all(|b| b.is_ascii_hexdigit());
        let path = state.archive.path_of(&f.sha256.to_ascii_lowercase());
        if !well_formed || !path.exists() {
            return Err(ApiError::not_found(format!(
                "no uploaded file {}: upload it to disclosure-files first",
                f.sha256
            )));
        }
        files.push((f.name.clone().unwrap_or_else(|| f.sha256.clone()), path));
    }
    let milli_hours = request.declared_hours.as_deref().map(intake::milli_hours).transpose()?;
    let now = chrono::Utc::now();
    let received_by = format!("api:{}", who.licensee);
    let submission = Submission {
        licensee: &who.licensee,
        model_version: &request.model_version,
        files,
        declared: DeclaredTotals { items: request.declared_items, milli_hours },
        received_by: &received_by,
        now,
        max_bytes: state.config.max_disclosure_bytes as u64,
        progress: None,
    };
    let received = intake::receive(state.store.as_ref(), &state.archive, submission).await?;
    let disclosure = received.disclosure().clone();
    let matched = !state.store.match_sets(&disclosure.id).await?.is_empty();
    if !matched {
        let (store, archive, id) = (state.store.clone(), state.archive.clone(), disclosure.id.clone());
        tokio::spawn(async move {
            // The same steps as `disclosure submit`; a failure is logged and left to `disclosure rematch`.
            let run = MatchRun { archive: &archive, audio: None, now, progress: None };
            let outcome = async {
                let d = store.disclosure(&id).await?.ok_or_else(|| DisclosureError::UnknownDisclosure(id.clone()))?;
                run::match_disclosure(store.as_ref(), &d, &run).await?;
                engine::disclosure::assess::assess(store.as_ref(), &id, &received_by, now).await
            }
            .await;
            if let Err(e) = outcome {
                eprintln!("disclosure {id} could not be matched: {e}");
            }
        });
    }
    let (status, outcome) = match received {
        Received::New(_) => (StatusCode::ACCEPTED, "new"),
        Received::AlreadyReceived(_) => (StatusCode::OK, "already-received"),
    };
    let location = format!("/api/v1/licensees/{}/disclosures/{}", who.licensee, disclosure.id);
    Ok((status, Json(json!({ "outcome": outcome, "disclosure": disclosure, "status": location }))).into_response())
}

async fn list(State(state): State<AppState>, who: Authorised) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "disclosures": state.store.disclosures(Some(&who.licensee)).await? })))
}

/// A disclosure of the token's licensee, with its latest match set and assessment (`matching` until then).
async fn show(
    State(state): State<AppState>,
    who: Authorised,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let view = views::show(state.store.as_ref(), &id).await?;
    if view.disclosure.licensee != who.licensee {
        return Err(ApiError::not_found(format!("no disclosure {id}")));
    }
    let status = if view.assessment.is_some() { "assessed" } else { "matching" };
    Ok(Json(json!({ "status": status, "view": view })))
}

#[derive(Debug, Deserialize)]
struct MatchesQuery {
    status: Option<String>,
    after: Option<u64>,
    limit: Option<u32>,
}

/// The items of a disclosure's latest match set, in item order, at most 1,000 a page.
async fn matches(
    State(state): State<AppState>,
    who: Authorised,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<MatchesQuery>,
) -> Result<Json<Value>, ApiError> {
    let d = state.store.disclosure(&id).await?.filter(|d| d.licensee == who.licensee);
    let Some(d) = d else { return Err(ApiError::not_found(format!("no disclosure {id}"))) };
    let status = match q.status.as_deref() {
        None => None,
        Some(text) => Some(MatchStatus::parse(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-request",
                format!("status {text:?}: use matched, ambiguous or unmatched"),
            )
        })?),
    };
    let Some(set) = state.store.match_sets(&d.id).await?.pop() else {
        return Ok(Json(json!({ "status": "matching", "matches": [] })));
    };
    let rows = state.store.matches(set.id, status, q.after.unwrap_or(0), q.limit.unwrap_or(100).min(1_000)).await?;
    Ok(Json(json!({ "match_set": set.number, "counts": set.counts, "matches": rows })))
}
