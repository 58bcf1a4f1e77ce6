//! `GET /metrics` in Prometheus' text format, through the `prometheus-client` crate.
//!
//! [`Metrics`] holds the instruments the service updates as it works; it lives in the
//! [`AppState`] rather than in a global recorder, so every server in one process (the tests
//! start many) counts its own traffic. Values that already live elsewhere (store pool, SQL
//! statements, shared subscriptions, authentication failures) are read at scrape time
//! ([`scrape`]).
//!
//! - [`http`]: the request latency middleware; [`graphql`]: the schema extension that counts
//!   operations by name and outcome.

pub mod graphql;
pub mod http;
mod scrape;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;
use crate::domain::kind::WebhookKind;

/// Distinct GraphQL operation names kept as labels; later names count as `other`, so a client
/// inventing names cannot grow the scrape without bound.
const MAX_OPERATION_NAMES: usize = 200;

/// The longest operation name kept as a label, in bytes; a longer one counts as `other`. With
/// [`MAX_OPERATION_NAMES`] it bounds the distinct names a scrape carries to 20 KB, where one
/// megabyte-long `operationName` would otherwise be written into every scrape for good.
const MAX_OPERATION_NAME_BYTES: usize = 100;

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

/// How a subscriber is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    WebSocket,
    ServerSentEvents,
}

impl Transport {
    fn as_str(self) -> &'static str {
        match self {
            Self::WebSocket => "websocket",
            Self::ServerSentEvents => "sse",
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

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
    r#type: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransportLabels {
    transport: &'static str,
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
    events_appended: Counter,
    commit_batch_size: Histogram,
    operations: Family<OperationLabels, Counter>,
    operation_names: Mutex<HashSet<String>>,
    subscribers: Family<TransportLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self(Arc::new(Instruments {
            webhooks: Family::default(),
            requests: Family::new_with_constructor(LATENCY_BUCKETS),
            events_appended: Counter::default(),
            // 1 to 4,096 deliveries in one transaction.
            commit_batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 13)),
            operations: Family::default(),
            operation_names: Mutex::new(HashSet::new()),
            subscribers: Family::default(),
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

    /// One transaction of the group commit, holding `size` deliveries of which `written` were
    /// new events.
    pub fn commit(&self, size: usize, written: usize) {
        self.0.commit_batch_size.observe(size as f64);
        self.0.events_appended.inc_by(written as u64);
    }

    /// One GraphQL operation finished (a query) or started (a subscription).
    pub fn operation(&self, name: Option<&str>, kind: &'static str, outcome: &'static str) {
        let operation = self.operation_label(name);
        self.0
            .operations
            .get_or_create(&OperationLabels {
                operation,
                r#type: kind,
                outcome,
            })
            .inc();
    }

    fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name else {
            return "anonymous".to_owned();
        };
        if name.len() > MAX_OPERATION_NAME_BYTES {
            return "other".to_owned();
        }
        let mut names = match self.0.operation_names.lock() {
            Ok(names) => names,
            Err(poisoned) => poisoned.into_inner(),
        };
        if names.contains(name) {
            return name.to_owned();
        }
        if names.len() >= MAX_OPERATION_NAMES {
            return "other".to_owned();
        }
        names.insert(name.to_owned());
        name.to_owned()
    }

    /// Counts a live subscriber until the returned guard is dropped.
    pub fn subscriber(&self, transport: Transport) -> Subscriber {
        let gauge = self
            .0
            .subscribers
            .get_or_create(&TransportLabels {
                transport: transport.as_str(),
            })
            .clone();
        gauge.inc();
        Subscriber(gauge)
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
        registry.register(
            "mobiniti_events_appended",
            "Events written to the log by this process (redeliveries not included)",
            instruments.events_appended.clone(),
        );
        registry.register(
            "mobiniti_commit_batch_size",
            "Deliveries per group-commit transaction",
            instruments.commit_batch_size.clone(),
        );
        registry.register(
            "mobiniti_graphql_operations",
            "GraphQL operations by name, type and outcome (a subscription counts when it starts)",
            instruments.operations.clone(),
        );
        registry.register(
            "mobiniti_subscribers",
            "Live subscriptions, by transport",
            instruments.subscribers.clone(),
        );
    }
}

/// A live subscriber, counted until dropped.
#[derive(Debug)]
pub struct Subscriber(Gauge);

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.0.dec();
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

/// The scrape alone, for a listener of its own (`--metrics-listen`). Its requests are timed as
/// they are on the main listener, so the latency series do not change with the flag.
pub fn scrape_only(state: AppState) -> Router {
    router()
        .route_layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            http::record,
        ))
        .with_state(state)
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

async fn render(State(state): State<AppState>) -> Response {
    let mut registry = Registry::default();
    state.metrics.register(&mut registry);
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
