//! `GET /healthz` (the process answers) and `GET /readyz` (the store answers and the commit
//! worker runs).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::error::{error_response, log_chain};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    if let Some(why) = state.commits.stopped() {
        return error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "commit_worker_stopped",
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
                "store_unavailable",
                "the event store does not answer",
            )
        }
    }
}
