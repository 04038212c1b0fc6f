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
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::auth::Authorised;
use crate::error::ApiQuery;
use crate::wire::{self, DisclosureRequest};
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

/// Upload one disclosure file (the body is the file), to be named in a disclosure. Streamed into the
/// archive; an unknown kind is refused and not kept.
#[utoipa::path(post, path = "/api/v1/licensees/{licensee}/disclosure-files", tag = "disclosures",
    params(crate::openapi::LicenseePath), security(("token" = [])),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "A training manifest (CSV, JSON Lines, Parquet), an AI Act summary (tantiem-ai-act-summary/1 JSON) or Croissant metadata, exactly as written. See docs/disclosures.md."),
    responses(
        (status = 201, description = "Kept: its SHA-256, size and kind", body = wire::UploadedFile),
        (status = 200, description = "The same bytes were uploaded before", body = wire::UploadedFile),
        (status = 413, description = "Larger than the server accepts", body = wire::ErrorBody),
        (status = 415, description = "Not a disclosure file", body = wire::ErrorBody)))]
pub(crate) async fn upload(State(state): State<AppState>, who: Authorised, body: Body) -> Result<Response, ApiError> {
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
    let file = wire::UploadedFile { sha256: archived.sha256, size: archived.size, kind: wire::file_kind(&kind) };
    Ok((status, Json(file)).into_response())
}

/// Submit a model version's disclosure of uploaded files: validated now, matched and assessed in the
/// background.
#[utoipa::path(post, path = "/api/v1/licensees/{licensee}/disclosures", tag = "disclosures",
    params(crate::openapi::LicenseePath), security(("token" = [])),
    request_body(content = DisclosureRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "A new disclosure: follow `status` for its matching and verdict", body = wire::SubmittedDisclosure),
        (status = 200, description = "The same files and totals were received before: nothing changed", body = wire::SubmittedDisclosure),
        (status = 409, description = "The revision lacks a kind of file the one in force has (`drops-files`: send `replace`), or another submission won a race", body = wire::ErrorBody),
        (status = 422, description = "A file has errors (each with its line); nothing was stored", body = wire::ErrorBody)))]
pub(crate) async fn submit(
    State(state): State<AppState>,
    who: Authorised,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
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
    let answer =
        wire::SubmittedDisclosure { outcome: outcome.to_owned(), disclosure: disclosure.into(), status: location };
    Ok((status, Json(answer)).into_response())
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

/// The licensee's disclosures, every revision.
#[utoipa::path(get, path = "/api/v1/licensees/{licensee}/disclosures", tag = "disclosures",
    params(crate::openapi::LicenseePath), security(("token" = [])),
    responses((status = 200, description = "Every disclosure, in order of receipt", body = wire::DisclosureList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    who: Authorised,
) -> Result<Json<wire::DisclosureList>, ApiError> {
    let disclosures = views::list(state.store.as_ref(), &who.actor, Some(&who.licensee)).await?;
    Ok(Json(wire::DisclosureList { disclosures: disclosures.into_iter().map(wire::Disclosure::from).collect() }))
}

/// One disclosure: files, statistics, latest match set and assessment, with its status.
#[utoipa::path(get, path = "/api/v1/licensees/{licensee}/disclosures/{disclosure}", tag = "disclosures",
    params(crate::openapi::LicenseePath, ("disclosure" = String, Path, description = "D000001")), security(("token" = [])),
    responses((status = 200, description = "`matching`, `assessed`, `failed` (with `error`) or `interrupted` (submit it again to finish)", body = wire::DisclosureStatus)))]
pub(crate) async fn show(
    State(state): State<AppState>,
    who: Authorised,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<wire::DisclosureStatus>, ApiError> {
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
    Ok(Json(wire::DisclosureStatus { status: status.to_owned(), error, view: view.into() }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct MatchesQuery {
    /// `matched`, `ambiguous` or `unmatched`; every item when left out.
    status: Option<String>,
    /// Items after this number (the last `item` of the page before).
    after: Option<u64>,
    /// Items per page: 100 unless asked, at most 1,000.
    #[param(maximum = 1000)]
    limit: Option<u32>,
}

/// A disclosure's items as matched (its latest match set), in item order, at most 1,000 a page.
#[utoipa::path(get, path = "/api/v1/licensees/{licensee}/disclosures/{disclosure}/matches", tag = "disclosures",
    params(crate::openapi::LicenseePath, ("disclosure" = String, Path, description = "D000001"), MatchesQuery),
    security(("token" = [])),
    responses((status = 200, description = "A page of items with what each matched and why", body = wire::MatchPage)))]
pub(crate) async fn matches(
    State(state): State<AppState>,
    who: Authorised,
    Path((_, id)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<MatchesQuery>,
) -> Result<Json<wire::MatchPage>, ApiError> {
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
        let empty = wire::MatchPage { status: Some("matching".into()), match_set: None, counts: None, matches: vec![] };
        return Ok(Json(empty));
    };
    Ok(Json(wire::MatchPage {
        status: None,
        match_set: Some(set.number),
        counts: Some(set.counts.into()),
        matches: rows.into_iter().map(wire::Match::from).collect(),
    }))
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
