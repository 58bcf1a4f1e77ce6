//! `GET /metrics` in Prometheus' text format.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;
use crate::auth_guard::Surface;

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let groups = state.websockets.groups();
    let body = format!(
        "# HELP mobiniti_store_statements_total SQL statements sent to the store.\n\
         # TYPE mobiniti_store_statements_total counter\n\
         mobiniti_store_statements_total {}\n\
         # HELP mobiniti_subscription_groups Executions shared by identical live subscriptions.\n\
         # TYPE mobiniti_subscription_groups gauge\n\
         mobiniti_subscription_groups {}\n\
         # HELP mobiniti_subscription_group_departures_total Subscribers that fell behind their \
         shared execution and went on alone.\n\
         # TYPE mobiniti_subscription_group_departures_total counter\n\
         mobiniti_subscription_group_departures_total {}\n\
         # HELP mobiniti_auth_failures_total Requests answered 401: a wrong or missing webhook \
         token or API key.\n\
         # TYPE mobiniti_auth_failures_total counter\n\
         mobiniti_auth_failures_total{{surface=\"webhook\"}} {}\n\
         mobiniti_auth_failures_total{{surface=\"graphql\"}} {}\n\
         # HELP mobiniti_auth_limited_total Requests answered 429 after too many failed \
         authentications from their address.\n\
         # TYPE mobiniti_auth_limited_total counter\n\
         mobiniti_auth_limited_total {}\n",
        state.store.statements_executed(),
        groups.running(),
        groups.departures(),
        state.auth_guard.failures(Surface::Webhook),
        state.auth_guard.failures(Surface::GraphQl),
        state.auth_guard.limited(),
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}
