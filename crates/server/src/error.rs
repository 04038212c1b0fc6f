//! Errors as HTTP responses: a status and a JSON body `{"error": ..., "detail": ..., "diagnostics": [...]}`
//! that says what was wrong and what to do.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use engine::disclosure::DisclosureError;
use engine::licensing::invoicing::InvoiceError;
use engine::licensing::licences::KeyError;
use engine::licensing::offer::OfferError;
use engine::licensing::reports::ReportError;
use engine::registry::RegistryError;
use engine::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: &'static str,
    pub detail: String,
    pub diagnostics: Vec<formats::Diagnostic>,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError { status, error, detail: detail.into(), diagnostics: Vec::new() }
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", what)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = crate::wire::ErrorBody {
            error: self.error.to_owned(),
            detail: self.detail,
            diagnostics: self.diagnostics.iter().map(crate::wire::Diagnostic::from).collect(),
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<engine::Denied> for ApiError {
    /// The engine refused the actor: the text says who may not do what.
    fn from(e: engine::Denied) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string())
    }
}

/// A query string read into `T`, refused as a JSON error (as every error of the API is) when it does not fit.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(e) => Err(ApiError::new(StatusCode::BAD_REQUEST, "bad-query", e.body_text())),
        }
    }
}

impl From<domain::ids::IdError> for ApiError {
    /// An id in the path that cannot be one: the text gives the form it must have.
    fn from(e: domain::ids::IdError) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-id", e.to_string())
    }
}

impl From<StoreError> for ApiError {
    /// The database's own message stays in the server's log: it may name tables and queries.
    fn from(e: StoreError) -> ApiError {
        match e {
            // A conflict's text is written for the person who sent the request: what collided and what to do.
            StoreError::Conflict(what) => ApiError::new(StatusCode::CONFLICT, "conflict", what),
            e => {
                tracing::error!(error = %e, "the store could not answer");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "store", "the store could not answer; try again shortly")
            }
        }
    }
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> ApiError {
        match e {
            ReportError::Invalid { errors, diagnostics } => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                error: "invalid-report",
                detail: format!("the report was rejected with {errors} error(s); nothing was stored"),
                diagnostics,
            },
            ReportError::UnknownFormat => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unknown-format", e.to_string())
            }
            ReportError::WrongLicensee { .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "wrong-licensee", e.to_string())
            }
            ReportError::TooLarge { .. } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", e.to_string()),
            ReportError::NoAgreement(_) | ReportError::UnknownLicensee(_) => {
                ApiError::new(StatusCode::CONFLICT, "no-agreement", e.to_string())
            }
            ReportError::Archive(_) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "archive", e.to_string()),
            ReportError::Store(s) => s.into(),
            ReportError::Denied(d) => d.into(),
        }
    }
}

impl From<DisclosureError> for ApiError {
    fn from(e: DisclosureError) -> ApiError {
        let detail = e.to_string();
        match e {
            DisclosureError::Invalid { errors, diagnostics } => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                error: "invalid-disclosure",
                detail: format!("the disclosure was rejected with {errors} error(s); nothing was stored"),
                diagnostics: diagnostics
                    .into_iter()
                    .map(|(file, d)| formats::Diagnostic { message: format!("{file}: {}", d.message), ..d })
                    .collect(),
            },
            DisclosureError::UnknownFile { .. } => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unknown-format", detail)
            }
            // The engine's texts name CLI commands; a licensee is told what it can do.
            DisclosureError::UnknownDisclosure(id) => {
                ApiError::not_found(format!("no disclosure {id:?} of this licensee"))
            }
            DisclosureError::UnknownItem { .. } => ApiError::not_found(detail),
            DisclosureError::UnknownModel { licensee, model } => ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown-model",
                format!("licensee {licensee} has no model version {model:?}: ask the society to register it"),
            ),
            DisclosureError::UnknownLicensee(_) => ApiError::new(StatusCode::CONFLICT, "unknown-licensee", detail),
            DisclosureError::TooLarge { .. } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", detail),
            // These name the society's own files and machines: logged there, not shown.
            DisclosureError::File { .. } | DisclosureError::Audio(_) | DisclosureError::Matching(_) => {
                tracing::error!(error = %detail, "a disclosure failed on the society's side");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "society-side",
                    "the files could not be read or matched on the society's side (it is logged there): try again later or ask the society",
                )
            }
            DisclosureError::UnknownParty(_) => ApiError::not_found(detail),
            DisclosureError::DropsFiles { .. } => ApiError::new(StatusCode::CONFLICT, "drops-files", detail),
            DisclosureError::NothingSubmitted(_) | DisclosureError::Request(_) | DisclosureError::Decision(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "bad-request", detail)
            }
            DisclosureError::NotMatched(id) => ApiError::new(
                StatusCode::CONFLICT,
                "not-matched",
                format!("disclosure {id} is not matched yet: its status says when it is"),
            ),
            DisclosureError::Invoice(engine::licensing::invoicing::InvoiceError::Store(s))
            | DisclosureError::Store(s) => s.into(),
            DisclosureError::Invoice(_) => ApiError::new(StatusCode::CONFLICT, "books", detail),
            DisclosureError::Denied(d) => d.into(),
        }
    }
}

impl From<engine::licensing::licensees::LicensingError> for ApiError {
    fn from(e: engine::licensing::licensees::LicensingError) -> ApiError {
        use engine::licensing::licensees::LicensingError;
        match e {
            LicensingError::Store(s) => s.into(),
            LicensingError::Denied(d) => d.into(),
            LicensingError::UnknownLicensee(_) => ApiError::not_found(e.to_string()),
            other => ApiError::new(StatusCode::BAD_REQUEST, "bad-request", other.to_string()),
        }
    }
}

impl From<InvoiceError> for ApiError {
    fn from(e: InvoiceError) -> ApiError {
        match e {
            InvoiceError::Store(s) => s.into(),
            InvoiceError::Denied(d) => d.into(),
            InvoiceError::UnknownInvoice(n) => ApiError::not_found(format!("no invoice {n}")),
            InvoiceError::UnknownLicensee(_) => ApiError::not_found(e.to_string()),
            other => ApiError::new(StatusCode::CONFLICT, "books", other.to_string()),
        }
    }
}

impl From<KeyError> for ApiError {
    fn from(e: KeyError) -> ApiError {
        match e {
            KeyError::Store(s) => s.into(),
            KeyError::Denied(d) => d.into(),
            other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "keys", other.to_string()),
        }
    }
}

impl From<OfferError> for ApiError {
    fn from(e: OfferError) -> ApiError {
        match e {
            OfferError::Store(s) => s.into(),
            OfferError::Denied(d) => d.into(),
        }
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> ApiError {
        match e {
            RegistryError::Store(s) => s.into(),
            RegistryError::Denied(d) => d.into(),
            other => ApiError::not_found(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_is_409_with_its_text_and_the_databases_own_errors_are_503() {
        let conflict = ApiError::from(StoreError::Conflict("report \"R1\" was stored by another request".into()));
        assert_eq!((conflict.status, conflict.error), (StatusCode::CONFLICT, "conflict"));
        assert_eq!(conflict.detail, "report \"R1\" was stored by another request");
        let report = ApiError::from(ReportError::Store(StoreError::Conflict("taken".into())));
        assert_eq!(report.status, StatusCode::CONFLICT);
        let down = ApiError::from(StoreError::Database("relation \"invoices\" does not exist".into()));
        assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(!down.detail.contains("invoices"), "the database's text stays in the log");
    }

    #[test]
    fn a_refusal_is_403_and_says_who_may_not_do_what() {
        let denied = engine::Actor::Public.may(engine::UseCase::RunInvoices, engine::Scope::Society).unwrap_err();
        let e = ApiError::from(InvoiceError::Denied(denied));
        assert_eq!((e.status, e.error), (StatusCode::FORBIDDEN, "forbidden"));
        assert_eq!(e.detail, "the public may not run invoicing");
    }
}
