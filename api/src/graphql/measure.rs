//! Counting GraphQL operations and live subscribers. The counter families live here, with what
//! they measure, and `/metrics` registers them at scrape time ([`OperationMetrics::register`]).
//!
//! Operations are counted where each transport runs them, rather than in a schema extension: an
//! extension of any kind makes async-graphql wrap every field's resolution, which the large
//! dashboard pages would pay for on every row.
//!
//! - [`streamed`]: the count of one operation over WebSocket or Server-Sent Events.

mod streamed;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_graphql::Response;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

pub use streamed::StreamedOperation;

/// Distinct GraphQL operation names kept as labels; later names count as `other`, so a client
/// inventing names cannot grow the scrape without bound.
const MAX_OPERATION_NAMES: usize = 200;

/// The longest operation name kept as a label, in bytes; a longer one counts as `other`. With
/// [`MAX_OPERATION_NAMES`] it bounds the distinct names a scrape carries to 20 KB, where one
/// megabyte-long `operationName` would otherwise be written into every scrape for good.
const MAX_OPERATION_NAME_BYTES: usize = 100;

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
struct OperationLabels {
    operation: String,
    r#type: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransportLabels {
    transport: &'static str,
}

/// The operations and subscribers counted so far; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct OperationMetrics(Arc<Instruments>);

#[derive(Debug, Default)]
struct Instruments {
    operations: Family<OperationLabels, Counter>,
    operation_names: Mutex<HashSet<String>>,
    subscribers: Family<TransportLabels, Gauge>,
}

impl OperationMetrics {
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

    /// Adds the operation and subscriber families to a scrape.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "mobiniti_graphql_operations",
            "GraphQL operations by name, type and outcome (a subscription counts when it starts)",
            self.0.operations.clone(),
        );
        registry.register(
            "mobiniti_subscribers",
            "Live subscriptions, by transport",
            self.0.subscribers.clone(),
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

/// The operation was refused before it ran: unparsable, invalid, over a limit.
pub const REFUSED: &str = "refused";

/// The `type` label of an operation, when its document says.
pub fn type_label(operation: Option<OperationType>) -> &'static str {
    match operation {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    }
}

/// The name an operation is counted under: `operationName`, or the name of the document's one
/// operation when the request gave none.
pub fn operation_name<'a>(
    document: &'a ExecutableDocument,
    given: Option<&'a str>,
) -> Option<&'a str> {
    match (&document.operations, given) {
        (_, Some(name)) => Some(name),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.keys().next().map(|name| name.as_str())
        }
        _ => None,
    }
}

/// The outcome of a response that ran: `ok`, `partial` (data and errors) or `error`.
pub fn outcome(response: &Response) -> &'static str {
    if response.errors.is_empty() {
        "ok"
    } else if response.data == async_graphql::Value::Null {
        "error"
    } else {
        "partial"
    }
}
