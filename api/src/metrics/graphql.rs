//! Counting GraphQL operations where each transport runs them, rather than in a schema
//! extension: an extension of any kind makes async-graphql wrap every field's resolution,
//! which the large dashboard pages would pay for on every row.

use async_graphql::Response;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};

use super::Metrics;

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

/// Counts one streamed operation (over WebSocket or Server-Sent Events) once: a query by its
/// result, a subscription as soon as it is known to have started.
#[derive(Debug)]
pub struct StreamedOperation {
    metrics: Metrics,
    name: Option<String>,
    kind: Option<OperationType>,
    counted: bool,
}

impl StreamedOperation {
    pub fn new(metrics: &Metrics, name: Option<&str>, kind: Option<OperationType>) -> Self {
        Self {
            metrics: metrics.clone(),
            name: name.map(str::to_owned),
            kind,
            counted: false,
        }
    }

    /// After the stream's first poll. A subscription still waiting then has passed parsing and
    /// validation, which async-graphql does before it first waits: it counts as `ok` now,
    /// since its first event may be hours away.
    pub fn first_poll(&mut self, ready: Option<&Option<Response>>) {
        match ready {
            None if self.kind == Some(OperationType::Subscription) => self.count("ok"),
            None | Some(None) => {}
            Some(Some(response)) => self.response(response),
        }
    }

    /// A response of the stream; only the first one counts.
    pub fn response(&mut self, response: &Response) {
        let outcome = if crate::graphql::failed_before_execution(response) {
            REFUSED
        } else {
            outcome(response)
        };
        self.count(outcome);
    }

    /// The operation never ran: refused before execution by the transport's own checks.
    pub fn refused(&mut self) {
        self.count(REFUSED);
    }

    fn count(&mut self, outcome: &'static str) {
        if !self.counted {
            self.counted = true;
            self.metrics
                .operation(self.name.as_deref(), type_label(self.kind), outcome);
        }
    }
}
