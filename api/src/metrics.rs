//! `GET /metrics` in Prometheus' text format.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let body = format!(
        "# HELP mobiniti_store_statements_total SQL statements sent to the store.\n\
         # TYPE mobiniti_store_statements_total counter\n\
         mobiniti_store_statements_total {}\n",
        state.store.statements_executed()
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}
