//! The rightsholders' and sister societies' API, read-only: a member reads the statements of their own
//! parties, a sister society what a distribution run owes it for its members. A token (created by the
//! society with `tantiem member token` or `tantiem society token`) names whom it acts for; the engine
//! decides from the path whether that actor may read it, so staff tokens would pass and others are 403.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use engine::distribution::{DistributionError, views};
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::ApiQuery;
use crate::wire;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/parties/{party}/statements", get(statements))
        .route("/api/v1/societies/{society}/settlements/{run}", get(settlement))
}

impl From<DistributionError> for ApiError {
    fn from(e: DistributionError) -> ApiError {
        match e {
            DistributionError::Store(s) => s.into(),
            DistributionError::Denied(d) => d.into(),
            DistributionError::UnknownRun(_) | DistributionError::UnknownClaim(_) => ApiError::not_found(e.to_string()),
            other => ApiError::new(StatusCode::CONFLICT, "distribution", other.to_string()),
        }
    }
}

/// The `{party}` segment: an IPI name number (11 digits) or a party key (`IPI:…`, `SUB:…`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PartyPath {
    /// An IPI name number or a party key; it must be one of the token's parties.
    party: String,
}

/// Which run's lines a statement shows.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// One run (its number); every run when left out.
    run: Option<u64>,
}

/// The `{society}` and `{run}` segments.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SettlementPath {
    /// The sister society's CISAC code (`052`, or `52`); it must be the token's own.
    society: String,
    /// The distribution run's number.
    run: u64,
}

/// A rightsholder's statement: every line distribution runs posted to the party (or one run's), with the
/// deductions, adjustments and their reasons, what is held and what is carried forward.
#[utoipa::path(get, path = "/api/v1/parties/{party}/statements", tag = "distribution",
    params(PartyPath, StatementQuery), security(("token" = [])),
    responses((status = 200, description = "The party's statement", body = wire::Statement),
        (status = 401, description = "No token, or an unknown or revoked one", body = wire::ErrorBody),
        (status = 403, description = "The party is not one of the token's", body = wire::ErrorBody)))]
pub(crate) async fn statements(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<PartyPath>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> Result<Json<wire::Statement>, ApiError> {
    let statement =
        views::statement(state.store.as_ref(), &caller.actor, &domain::PartyKey::named(&path.party), query.run).await?;
    Ok(Json(statement.into()))
}

/// What a distribution run owes a sister society, per party of theirs with IPI numbers.
#[utoipa::path(get, path = "/api/v1/societies/{society}/settlements/{run}", tag = "distribution",
    params(SettlementPath), security(("token" = [])),
    responses((status = 200, description = "The society's settlement of the run (no lines: nothing owed)", body = wire::Settlement),
        (status = 401, description = "No token, or an unknown or revoked one", body = wire::ErrorBody),
        (status = 403, description = "The society is not the token's", body = wire::ErrorBody)))]
pub(crate) async fn settlement(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<SettlementPath>,
) -> Result<Json<wire::Settlement>, ApiError> {
    let code = domain::SocietyCode::parse(&path.society).ok_or_else(|| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-path", format!("{:?} is not a CISAC society code", path.society))
    })?;
    let found = views::settlements(state.store.as_ref(), &caller.actor, path.run, Some(code.number())).await?;
    let settlement = found.into_iter().next().ok_or_else(|| ApiError::not_found("no settlement"))?;
    Ok(Json(settlement.into()))
}
