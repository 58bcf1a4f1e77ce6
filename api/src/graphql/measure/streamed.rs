//! One streamed operation (over WebSocket or Server-Sent Events), counted once whatever becomes
//! of its stream.

use async_graphql::Response;
use async_graphql::parser::types::OperationType;

use super::{OperationMetrics, REFUSED, outcome, type_label};

/// Counts one streamed operation (over WebSocket or Server-Sent Events) once: a query by its
/// result, a subscription as soon as it is known to have started.
#[derive(Debug)]
pub struct StreamedOperation {
    metrics: OperationMetrics,
    name: Option<String>,
    kind: Option<OperationType>,
    counted: bool,
}

impl StreamedOperation {
    pub fn new(
        metrics: &OperationMetrics,
        name: Option<&str>,
        kind: Option<OperationType>,
    ) -> Self {
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
