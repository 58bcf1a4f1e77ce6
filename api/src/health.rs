//! `GET /healthz` (the process answers) and `GET /readyz` (the store answers too).

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
