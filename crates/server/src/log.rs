//! One structured log line per request: method, route, path, status, time taken, and the licensee a token
//! named (recorded by the authentication step into the request's span). Never a header, a token, a query
//! string or a body: those may carry secrets or personal data.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The middleware: every handler, and every engine and store span under it, runs inside the request's span.
pub async fn request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let route = request.extensions().get::<MatchedPath>().map_or_else(|| path.clone(), |p| p.as_str().to_owned());
    let span = tracing::info_span!("request", %method, %route, licensee = tracing::field::Empty);
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    let _entered = span.enter();
    if status >= 500 {
        tracing::warn!(%path, status, elapsed_ms, "request");
    } else {
        tracing::info!(%path, status, elapsed_ms, "request");
    }
    response
}
