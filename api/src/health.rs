//! `GET /healthz` (the process answers) and `GET /readyz` (the store answers and the commit
//! worker runs). Neither asks for a credential nor is limited after failed authentications: a
//! load balancer's health check carries none (README, "Access").

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use axum::extract::FromRef;

use crate::error::{ErrorCode, error_response, log_chain};
use crate::store::{GroupCommit, Store};

/// Every `error.code` of `/readyz` answered 503, as the README lists them
/// (`tests/e2e/readme_codes.rs`): the task that commits webhooks has stopped, or the store does
/// not answer.
pub const CODES: [&str; 2] = [
    ErrorCode::CommitWorkerStopped.snake(),
    ErrorCode::StoreUnavailable.snake(),
];

/// What readiness is read from: the store, and the task that commits webhooks to it.
#[derive(Debug, Clone)]
pub struct Readiness {
    pub store: Store,
    pub commits: GroupCommit,
}

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Readiness: FromRef<S>,
{
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<Readiness>) -> Response {
    if let Some(why) = state.commits.stopped() {
        return error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::CommitWorkerStopped,
            format!(
                "the commit worker stopped ({why}); no webhook can be stored until the service is restarted"
            ),
        );
    }
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(err) => {
            log_chain("not ready", &err);
            error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::StoreUnavailable,
                "the event store does not answer",
            )
        }
    }
}
