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
         mobiniti_subscription_group_departures_total {}\n",
        state.store.statements_executed(),
        groups.running(),
        groups.departures(),
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}
