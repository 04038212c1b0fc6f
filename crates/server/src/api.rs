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
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::auth::Authorised;
use crate::error::ApiQuery;
use crate::wire;
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

/// The licensee, its services, model versions and agreement.
#[utoipa::path(get, path = "/api/v1/licensees/{licensee}", tag = "licensee",
    params(crate::openapi::LicenseePath), security(("token" = [])),
    responses((status = 200, description = "The licensee as it is registered", body = wire::LicenseeView)))]
pub(crate) async fn licensee(
    State(state): State<AppState>,
    who: Authorised,
) -> Result<Json<wire::LicenseeView>, ApiError> {
    let view = licensees::show(state.store.as_ref(), &who.actor, &who.licensee).await?;
    Ok(Json(view.into()))
}

/// The licensee's reports with every revision.
#[utoipa::path(get, path = "/api/v1/licensees/{licensee}/reports", tag = "reports",
    params(crate::openapi::LicenseePath), security(("token" = [])),
    responses((status = 200, description = "Every revision of every report", body = wire::ReportList)))]
pub(crate) async fn list_reports(
    State(state): State<AppState>,
    who: Authorised,
) -> Result<Json<wire::ReportList>, ApiError> {
    let reports = reports::list(state.store.as_ref(), &who.actor, &who.licensee).await?;
    Ok(Json(wire::ReportList { reports: reports.iter().map(wire::Report::from).collect() }))
}

/// Submit a service report, output report or DSR file (the body is the file). Streamed into the archive
/// and through validation; nothing is stored if it fails.
#[utoipa::path(post, path = "/api/v1/licensees/{licensee}/reports", tag = "reports",
    params(crate::openapi::LicenseePath), security(("token" = [])),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The report file exactly as written: tantiem-service-report/1 JSON, tantiem-output-report/1 JSON Lines, their CSV forms, or a DDEX DSR flat file. See docs/reports.md."),
    responses(
        (status = 201, description = "A new report or a correction was stored", body = wire::Submission),
        (status = 200, description = "The same file was received before: nothing changed", body = wire::Submission),
        (status = 409, description = "The same report was being submitted at the same moment", body = wire::ErrorBody),
        (status = 413, description = "The file is larger than the server accepts", body = wire::ErrorBody),
        (status = 415, description = "Not a report in any of the documented formats", body = wire::ErrorBody),
        (status = 422, description = "The report has errors (each with its line and field); nothing was stored", body = wire::ErrorBody)))]
pub(crate) async fn submit(State(state): State<AppState>, who: Authorised, body: Body) -> Result<Response, ApiError> {
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
    let submission = wire::Submission {
        outcome: outcome.to_owned(),
        report: submitted.record().into(),
        warnings: warnings.iter().map(wire::Diagnostic::from).collect(),
    };
    Ok((status, Json(submission)).into_response())
}

/// One report's revisions.
#[utoipa::path(get, path = "/api/v1/licensees/{licensee}/reports/{report_id}", tag = "reports",
    params(crate::openapi::LicenseePath, ("report_id" = String, Path, description = "The report's id as its file gave it")),
    security(("token" = [])),
    responses((status = 200, description = "Every revision, the one in force marked current", body = wire::ReportRevisions)))]
pub(crate) async fn report(
    State(state): State<AppState>,
    who: Authorised,
    Path((_, report_id)): Path<(String, String)>,
) -> Result<Json<wire::ReportRevisions>, ApiError> {
    let revisions = reports::revisions(state.store.as_ref(), &who.actor, &who.licensee, &report_id).await?;
    if revisions.is_empty() {
        return Err(ApiError::not_found(format!("no report {report_id}")));
    }
    Ok(Json(wire::ReportRevisions { report_id, revisions: revisions.iter().map(wire::Report::from).collect() }))
}

/// Each period's due reports: received, late, missing or open.
#[utoipa::path(get, path = "/api/v1/licensees/{licensee}/reporting-status", tag = "reports",
    params(crate::openapi::LicenseePath), security(("token" = [])),
    responses((status = 200, description = "Every period since the agreement began", body = wire::ReportingStatus)))]
pub(crate) async fn reporting_status(
    State(state): State<AppState>,
    who: Authorised,
) -> Result<Json<wire::ReportingStatus>, ApiError> {
    let status =
        reports::reporting_status(state.store.as_ref(), &who.actor, &who.licensee, chrono::Utc::now().date_naive())
            .await?;
    Ok(Json(wire::ReportingStatus { periods: status.into_iter().map(wire::DuePeriod::from).collect() }))
}

/// The licensee's invoices and credit notes.
#[utoipa::path(get, path = "/api/v1/licensees/{licensee}/invoices", tag = "invoices",
    params(crate::openapi::LicenseePath), security(("token" = [])),
    responses((status = 200, description = "Every invoice and credit note, in number order", body = wire::InvoiceList)))]
pub(crate) async fn invoices(
    State(state): State<AppState>,
    who: Authorised,
) -> Result<Json<wire::InvoiceList>, ApiError> {
    let invoices = invoicing::invoices(state.store.as_ref(), &who.actor, Some(&who.licensee)).await?;
    Ok(Json(wire::InvoiceList { invoices: invoices.iter().map(wire::InvoiceSummary::from).collect() }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FormatQuery {
    /// `json` (the default), `csv` or `html`.
    format: Option<String>,
}

/// One invoice or credit note, whole: its lines with how each was priced, VAT, totals and status.
#[utoipa::path(get, path = "/api/v1/licensees/{licensee}/invoices/{number}", tag = "invoices",
    params(crate::openapi::LicenseePath, ("number" = String, Path, description = "INV-2026-000001 or CN-2026-000001"), FormatQuery),
    security(("token" = [])),
    responses((status = 200, description = "The invoice in the format asked for: JSON (the invoice export of docs/tariffs.md), CSV or printable HTML",
        content((Object = "application/json"), (String = "text/csv"), (String = "text/html")))))]
pub(crate) async fn invoice(
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

/// The licensee's licence certificates.
#[utoipa::path(get, path = "/api/v1/licensees/{licensee}/licences", tag = "licences",
    params(crate::openapi::LicenseePath), security(("token" = [])),
    responses((status = 200, description = "Every certificate issued to the licensee", body = wire::LicenceList)))]
pub(crate) async fn licences(
    State(state): State<AppState>,
    who: Authorised,
) -> Result<Json<wire::LicenceList>, ApiError> {
    let licences = licences::licences(state.store.as_ref(), &who.actor, &who.licensee).await?;
    Ok(Json(wire::LicenceList { licences: licences.into_iter().map(wire::Licence::from).collect() }))
}
