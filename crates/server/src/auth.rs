//! Authentication: a bearer token resolves to one licensee (a licensee's route may touch only the licensee
//! named in its path), or to a member or a sister society (whose routes' scope the engine checks). Every client address has a rate limit, applied to every route before any
//! token is looked up, and each token has one of its own (token buckets both).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;

use crate::{ApiError, AppState};

/// Who the request's token lets act (its licensee, through the API), and that licensee's id. What the actor
/// may do is the engine's decision; a path naming another licensee is refused here at once.
#[derive(Debug, Clone)]
pub struct Authorised {
    pub licensee: domain::ids::LicenseeId,
    pub actor: engine::Actor,
}

impl FromRequestParts<AppState> for Authorised {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Caller { actor } = Caller::from_request_parts(parts, state).await?;
        let engine::Actor::Licensee { licensee, .. } = &actor else {
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorised", "the token is not a licensee's"));
        };
        let licensee = licensee.clone();
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad-path", e.to_string()))?;
        match params.get("licensee") {
            Some(named) if named == licensee.as_str() => Ok(Authorised { licensee, actor }),
            Some(_) => Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "this token belongs to another licensee")),
            None => Ok(Authorised { licensee, actor }),
        }
    }
}

/// Whoever a request's token belongs to — a licensee, a member or a sister society — for the routes whose
/// scope the engine decides from the path (a party, a society): no path check here.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: engine::Actor,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        let actor = engine::licensing::tokens::authenticate(state.store.as_ref(), token).await?.ok_or_else(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorised", "the token is unknown or revoked")
        })?;
        // The request's log line names who acted (never the token): the licensee, or the member or society.
        let who = match &actor {
            engine::Actor::Licensee { licensee, .. } => licensee.as_str().to_owned(),
            other => other.name(),
        };
        tracing::Span::current().record("licensee", who.as_str());
        if !state.limiter.allow(&engine::licensing::tokens::hash(token)) {
            return Err(rate_limited());
        }
        Ok(Caller { actor })
    }
}

/// The token of an `Authorization: Bearer …` header (the scheme's name is case-insensitive, RFC 9110
/// §11.1).
fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|h| h.to_str().ok()).unwrap_or("");
    let token = header.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"));
    token.map(|(_, t)| t.trim()).filter(|t| !t.is_empty()).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorised",
            "send your API token (from the society) as `Authorization: Bearer <token>`",
        )
    })
}

fn rate_limited() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "too many requests with this token: slow down and retry in a second",
    )
}

/// The first step of every request: a client over its rate is refused before anything is looked up. A
/// request that came in without a peer address (one made inside the process) is not counted.
pub async fn per_client(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let peer = request.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    if let Some(ip) = peer
        && !state.clients.allow(&ip.to_string())
    {
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "too many requests from this address: slow down and retry in a second",
        )
        .into_response();
    }
    next.run(request).await
}

/// Buckets kept before idle ones are dropped.
const MAX_BUCKETS: usize = 100_000;

/// A token bucket per API token: `rate` requests a second, bursts up to three seconds' worth.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(rate: u32) -> RateLimiter {
        RateLimiter { rate: f64::from(rate.max(1)), buckets: Mutex::new(HashMap::new()) }
    }

    pub fn allow(&self, key: &str) -> bool {
        let now = Instant::now();
        let burst = self.rate * 3.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            // Forged tokens each get a bucket: drop the ones that have refilled (idle for a burst's time),
            // so the map stays bounded whatever clients send.
            let rate = self.rate;
            buckets.retain(|_, (tokens, last)| *tokens + now.duration_since(*last).as_secs_f64() * rate < burst);
        }
        let (tokens, last) = buckets.entry(key.to_owned()).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
