//! `GET /metrics` in Prometheus' text format, through the `prometheus-client` crate.
//!
//! [`Metrics`] holds the instruments the service updates as it works; it lives in the app's
//! state rather than in a global recorder, so every server in one process (the tests
//! start many) counts its own traffic. Values that already live elsewhere (store pool, SQL
//! statements, shared subscriptions, authentication failures) are read at scrape time
//! ([`scrape`]), and so are the instruments other modules own: the group commit's counts
//! ([`commits`]) and GraphQL's operations and subscribers ([`crate::graphql::measure`]). This
//! module reads them; none of them imports it.
//!
//! - [`http`]: the request latency middleware.

mod commits;
pub mod http;
mod scrape;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::auth_guard::AuthGuard;
use crate::domain::kind::WebhookKind;
use crate::graphql::{Live, OperationMetrics};
use crate::store::{GroupCommit, Store};

/// What became of one webhook delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    Stored,
    Duplicate,
    /// Not JSON, or not valid for its kind: kept in the quarantine and answered 400/422.
    Quarantined,
    Unauthorized,
    TooLarge,
    /// Valid, but the store refused to keep it: kept in the quarantine and answered 422.
    RefusedByStore,
    /// The store did not answer: 503, and Mobiniti retries.
    Unavailable,
    /// The body could not be read (the client went away or sent a broken stream).
    Unreadable,
    /// No such webhook kind: 404.
    UnknownKind,
}

impl WebhookOutcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::Duplicate => "duplicate",
            Self::Quarantined => "quarantined",
            Self::Unauthorized => "unauthorized",
            Self::TooLarge => "too_large",
            Self::RefusedByStore => "refused_by_store",
            Self::Unavailable => "unavailable",
            Self::Unreadable => "unreadable",
            Self::UnknownKind => "unknown_kind",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

/// Builds a histogram with fixed buckets for each new label set of a family.
#[derive(Debug, Clone, Copy)]
struct Buckets {
    start: f64,
    factor: f64,
    count: u16,
}

impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(exponential_buckets(self.start, self.factor, self.count))
    }
}

/// 0.5 ms to about 16 s.
const LATENCY_BUCKETS: Buckets = Buckets {
    start: 0.0005,
    factor: 2.0,
    count: 16,
};

/// The instruments; cheap to clone.
#[derive(Debug, Clone)]
pub struct Metrics(Arc<Instruments>);

#[derive(Debug)]
struct Instruments {
    webhooks: Family<WebhookLabels, Counter>,
    requests: Family<RequestLabels, Histogram, Buckets>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self(Arc::new(Instruments {
            webhooks: Family::default(),
            requests: Family::new_with_constructor(LATENCY_BUCKETS),
        }))
    }
}

impl Metrics {
    pub fn webhook(&self, kind: Option<WebhookKind>, outcome: WebhookOutcome) {
        let kind = kind.map_or("unknown", WebhookKind::as_str);
        self.0
            .webhooks
            .get_or_create(&WebhookLabels {
                kind,
                outcome: outcome.as_str(),
            })
            .inc();
    }

    /// One HTTP request answered, by its route's pattern (never its path: paths carry ids).
    pub fn request(&self, method: &'static str, route: &str, status: StatusCode, seconds: f64) {
        self.0
            .requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_owned(),
                status: status.as_u16(),
            })
            .observe(seconds);
    }

    fn register(&self, registry: &mut Registry) {
        let instruments = &self.0;
        registry.register(
            "mobiniti_webhooks",
            "Webhook deliveries by kind and outcome",
            instruments.webhooks.clone(),
        );
        registry.register(
            "mobiniti_http_request_duration_seconds",
            "HTTP requests by method, route pattern and status, by time to the response's head",
            instruments.requests.clone(),
        );
    }
}

/// Where a scrape reads from: the instruments, and the modules whose own values it reads.
#[derive(Debug, Clone)]
pub struct Sources {
    pub metrics: Metrics,
    pub commits: GroupCommit,
    pub graphql: OperationMetrics,
    pub store: Store,
    pub live: Live,
    pub auth_guard: AuthGuard,
}

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Sources: FromRef<S>,
{
    Router::new().route("/metrics", get(render))
}

/// The scrape alone, for a listener of its own (`--metrics-listen`). Its requests are timed as
/// they are on the main listener, so the latency series do not change with the flag.
pub fn scrape_only(sources: Sources) -> Router {
    router()
        .route_layer(axum::middleware::from_fn_with_state(
            sources.metrics.clone(),
            http::record,
        ))
        .with_state(sources)
}

/// `app` on the main listener when the scrape has a listener of its own: `/metrics` is answered
/// 404 there, as an unknown path is, so that the series are not public because the API is.
pub fn without_scrape(app: Router) -> Router {
    app.layer(axum::middleware::from_fn(not_here))
}

async fn not_here(request: Request, next: Next) -> Response {
    if request.uri().path() == "/metrics" {
        return StatusCode::NOT_FOUND.into_response();
    }
    next.run(request).await
}

async fn render(State(state): State<Sources>) -> Response {
    let mut registry = Registry::default();
    // In this order, which the scrape has always had.
    state.metrics.register(&mut registry);
    commits::register(&mut registry, state.commits.counts());
    state.graphql.register(&mut registry);
    registry.register_collector(Box::new(scrape::Current::of(&state)));
    let mut body = String::new();
    if let Err(err) = prometheus_client::encoding::prometheus_text::encode(&mut body, &registry) {
        tracing::error!(error = %err, "the metrics could not be encoded");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
        )],
        body,
    )
        .into_response()
}
