//! The licensee API: every route takes a bearer token and a `{licensee}` path segment that must be the
//! token's own. Licensees submit reports (any of the documented formats, as the request body) and read
//! their agreement, reports, reporting status, invoices and licences.

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use engine::licensing::reports::{self, Intake, Submitted};
use engine::licensing::{export, invoicing, licences, licensees};
use futures::TryStreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::auth::Authorised;
use crate::error::ApiQuery;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/licensees/{licensee}", get(licensee))
        .route("/api/v1/licensees/{licensee}/reports", get(list_reports).post(submit))
        .route("/api/v1/licensees/{licensee}/reports/{report_id}", get(report))
        .route("/api/v1/licensees/{licensee}/reporting-status", get(reporting_status))
        .route("/api/v1/licensees/{licensee}/invoices", get(invoices))
        .route("/api/v1/licensees/{licensee}/invoices/{number}", get(invoice))
        .route("/api/v1/licensees/{licensee}/licences", get(licences))
}

async fn licensee(State(state): State<AppState>, who: Authorised) -> Result<Json<Value>, ApiError> {
    let view = licensees::show(state.store.as_ref(), &who.actor, &who.licensee).await?;
    Ok(Json(json!(view)))
}

async fn list_reports(State(state): State<AppState>, who: Authorised) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "reports": reports::list(state.store.as_ref(), &who.actor, &who.licensee).await? })))
}

/// Streams the request body into the archive and through validation; nothing is stored if it fails.
async fn submit(State(state): State<AppState>, who: Authorised, body: Body) -> Result<Response, ApiError> {
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let reader = SyncIoBridge::new(StreamReader::new(stream));
    let received_by = format!("api:{}", who.licensee);
    let mut intake = Intake::new(&who.licensee, &received_by, state.entropy.as_ref(), chrono::Utc::now());
    intake.max_bytes = state.config.max_report_bytes as u64;
    let (submitted, warnings) =
        reports::submit_report(state.store.as_ref(), &who.actor, &state.archive, reader, intake).await?;
    let (status, outcome) = match &submitted {
        Submitted::New(_) => (StatusCode::CREATED, "new"),
        Submitted::Correction(_) => (StatusCode::CREATED, "correction"),
        Submitted::AlreadyReceived(_) => (StatusCode::OK, "already-received"),
    };
    Ok((status, Json(json!({ "outcome": outcome, "report": submitted.record(), "warnings": warnings })))
        .into_response())
}

async fn report(
    State(state): State<AppState>,
    who: Authorised,
    Path((_, report_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let revisions = reports::revisions(state.store.as_ref(), &who.actor, &who.licensee, &report_id).await?;
    if revisions.is_empty() {
        return Err(ApiError::not_found(format!("no report {report_id}")));
    }
    Ok(Json(json!({ "report_id": report_id, "revisions": revisions })))
}

async fn reporting_status(State(state): State<AppState>, who: Authorised) -> Result<Json<Value>, ApiError> {
    let status =
        reports::reporting_status(state.store.as_ref(), &who.actor, &who.licensee, chrono::Utc::now().date_naive())
            .await?;
    Ok(Json(json!({ "periods": status })))
}

async fn invoices(State(state): State<AppState>, who: Authorised) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "invoices": invoicing::invoices(state.store.as_ref(), &who.actor, Some(&who.licensee)).await? })))
}

#[derive(Debug, Deserialize)]
struct FormatQuery {
    format: Option<String>,
}

async fn invoice(
    State(state): State<AppState>,
    who: Authorised,
    Path((_, number)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<FormatQuery>,
) -> Result<Response, ApiError> {
    let number = domain::ids::InvoiceNumber::parse(&number)?;
    let invoice = match invoicing::invoice(state.store.as_ref(), &who.actor, &number).await {
        // Another licensee's number is answered as an unknown one: numbers are not to be probed.
        Err(invoicing::InvoiceError::Denied(_)) => return Err(ApiError::not_found(format!("no invoice {number}"))),
        found => found?,
    };
    Ok(match q.format.as_deref().unwrap_or("json") {
        "json" => ([(header::CONTENT_TYPE, "application/json")], export::json(&invoice)).into_response(),
        "csv" => ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], export::csv(&invoice)).into_response(),
        "html" => {
            let society = engine::registry::society(state.store.as_ref(), &who.actor).await?;
            let society = format!("{} {}", society.code, society.name);
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], export::html(&invoice, &society)).into_response()
        }
        other => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-format",
                format!("format {other:?}: use json, csv or html"),
            ));
        }
    })
}

async fn licences(State(state): State<AppState>, who: Authorised) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "licences": licences::licences(state.store.as_ref(), &who.actor, &who.licensee).await? })))
}
