//! The licensee API's disclosures: files are uploaded one per request (streamed into the archive, their
//! kind told and answered), then named in a disclosure of a model version, which is validated at once and
//! matched and assessed in the background; the licensee reads its disclosures and their matches (a
//! manifest is the licensee's own and the society's, no one else's).

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use domain::ids::DisclosureId;
use engine::disclosure::intake::{self, FileSource, Received, Submission};
use engine::disclosure::run::MatchRun;
use engine::disclosure::{DeclaredTotals, DisclosureError, MatchStatus, views};
use formats::disclosure::DisclosureFileKind;
use futures::TryStreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::auth::Authorised;
use crate::error::ApiQuery;
use crate::{ApiError, AppState};

/// Disclosures being matched and assessed in the background: `None` while running, the error if it failed.
/// Lost on restart; a disclosure left unassessed is completed by submitting it again.
#[derive(Clone, Default)]
pub struct Runs(Arc<Mutex<HashMap<String, Option<String>>>>);

impl Runs {
    /// Marks a disclosure running; false if it already is.
    fn start(&self, id: &str) -> bool {
        let mut runs = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if matches!(runs.get(id), Some(None)) {
            return false;
        }
        runs.insert(id.to_owned(), None);
        true
    }

    fn end(&self, id: &str, failure: Option<String>) {
        let mut runs = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match failure {
            Some(e) => runs.insert(id.to_owned(), Some(e)),
            None => runs.remove(id),
        };
    }

    /// `None`: not known here; `Some(None)`: running; `Some(Some(e))`: failed with `e`.
    fn state(&self, id: &str) -> Option<Option<String>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(id).cloned()
    }
}

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
async fn upload(State(state): State<AppState>, who: Authorised, body: Body) -> Result<Response, ApiError> {
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let reader = SyncIoBridge::new(StreamReader::new(stream));
    let archive = state.archive.clone();
    let limit = state.config.max_disclosure_bytes as u64;
    let archived = tokio::task::spawn_blocking(move || archive.put(reader, limit))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "archive", e.to_string()))?
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::FileTooLarge {
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
    intake::record_upload(
        state.store.as_ref(),
        &who.actor,
        &who.licensee,
        &archived.sha256,
        archived.size,
        chrono::Utc::now(),
    )
    .await?;
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
    /// This revision replaces the one in force although it lacks a kind of file that one had.
    #[serde(default)]
    replace: bool,
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
        let sha256 = f.sha256.to_ascii_lowercase();
        if !intake::uploaded(state.store.as_ref(), &who.actor, &who.licensee, &sha256).await? {
            return Err(ApiError::not_found(format!(
                "no uploaded file {}: upload it to disclosure-files first",
                f.sha256
            )));
        }
        files.push((f.name.clone().unwrap_or_else(|| sha256.clone()), FileSource::Archived(sha256)));
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
        replace: request.replace,
    };
    let received = intake::receive(state.store.as_ref(), &who.actor, &state.archive, submission).await?;
    let disclosure = received.disclosure().clone();
    if intake::incomplete(state.store.as_ref(), &who.actor, &disclosure).await?
        && state.disclosure_runs.start(&disclosure.id)
    {
        complete_in_background(&state, &who.actor, disclosure.clone(), received_by, now);
    }
    let (status, outcome) = match received {
        Received::New(_) => (StatusCode::ACCEPTED, "new"),
        Received::AlreadyReceived(_) => (StatusCode::OK, "already-received"),
    };
    let location = format!("/api/v1/licensees/{}/disclosures/{}", who.licensee, disclosure.id);
    Ok((status, Json(json!({ "outcome": outcome, "disclosure": disclosure, "status": location }))).into_response())
}

/// Matches and assesses a disclosure as `disclosure submit` does, on a task of its own; the outcome is
/// kept in the state's runs for `show`.
fn complete_in_background(
    state: &AppState,
    actor: &engine::Actor,
    disclosure: engine::disclosure::Disclosure,
    by: String,
    now: chrono::DateTime<chrono::Utc>,
) {
    let (store, archive, runs) = (state.store.clone(), state.archive.clone(), state.disclosure_runs.clone());
    let audio_index = state.config.audio_index.clone();
    let (id, actor) = (disclosure.id.clone(), actor.clone());
    let work = tokio::spawn(async move {
        let run = MatchRun { audio_index, ..MatchRun::new(&archive, now) };
        intake::complete(store.as_ref(), &actor, &disclosure, &run, &by).await.map(|_| ())
    });
    // The run is awaited by a task of its own, so that even a panic in it ends the run as failed.
    tokio::spawn(async move {
        let failure = match work.await {
            Ok(Ok(())) => None,
            // What the licensee reads is what the API would answer for the error.
            Ok(Err(e)) => {
                tracing::error!(disclosure = %id, error = %e, "a disclosure could not be matched");
                Some(crate::ApiError::from(e).detail)
            }
            Err(e) => {
                tracing::error!(disclosure = %id, error = %e, "matching a disclosure stopped unexpectedly");
                Some("matching stopped unexpectedly on the society's side (it is logged there): submit the disclosure again".into())
            }
        };
        runs.end(&id, failure);
    });
}

async fn list(State(state): State<AppState>, who: Authorised) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "disclosures": views::list(state.store.as_ref(), &who.actor, Some(&who.licensee)).await? })))
}

/// A disclosure of the token's licensee, with its latest match set and assessment (`matching` until then).
async fn show(
    State(state): State<AppState>,
    who: Authorised,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let id = DisclosureId::parse(&id)?;
    let view = match views::show(state.store.as_ref(), &who.actor, &id, false).await {
        // Another licensee's id is answered as an unknown one.
        Err(DisclosureError::Denied(_)) => return Err(ApiError::not_found(format!("no disclosure {id}"))),
        view => view?,
    };
    let complete =
        view.assessment.as_ref().is_some_and(|a| view.match_set.as_ref().is_some_and(|m| m.id == a.match_set));
    let (status, error) = match state.disclosure_runs.state(&id) {
        Some(None) => ("matching", None),
        Some(Some(e)) if !complete => ("failed", Some(e)),
        _ if complete => ("assessed", None),
        // Not assessed and not running here: the server restarted during the run.
        _ => (
            "interrupted",
            Some("matching stopped before it ended: submit the disclosure again to finish it".to_owned()),
        ),
    };
    Ok(Json(json!({ "status": status, "error": error, "view": view })))
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
    ApiQuery(q): ApiQuery<MatchesQuery>,
) -> Result<Json<Value>, ApiError> {
    let id = DisclosureId::parse(&id)?;
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
    let page = views::matches(
        state.store.as_ref(),
        &who.actor,
        &id,
        status,
        q.after.unwrap_or(0),
        q.limit.unwrap_or(100).min(1_000),
    );
    let page = match page.await {
        // Another licensee's id is answered as an unknown one.
        Err(DisclosureError::Denied(_)) => return Err(ApiError::not_found(format!("no disclosure {id}"))),
        page => page?,
    };
    let Some((set, rows)) = page else {
        return Ok(Json(json!({ "status": "matching", "matches": [] })));
    };
    Ok(Json(json!({ "match_set": set.number, "counts": set.counts, "matches": rows })))
}

#[cfg(test)]
mod tests {
    use super::Runs;

    #[test]
    fn a_run_is_started_once_and_a_failure_kept_until_it_runs_again() {
        let runs = Runs::default();
        assert_eq!(runs.state("D1"), None);
        assert!(runs.start("D1"));
        assert!(!runs.start("D1"), "not twice at once");
        assert_eq!(runs.state("D1"), Some(None));
        runs.end("D1", Some("the archive is gone".into()));
        assert_eq!(runs.state("D1"), Some(Some("the archive is gone".into())));
        assert!(runs.start("D1"), "a failed run may be started again");
        runs.end("D1", None);
        assert_eq!(runs.state("D1"), None, "a run that ended well leaves nothing");
    }
}
