//! The operations a connection runs, and the bytes their payloads hold.
//!
//! An operation's task keeps its query text and variables (parsed, and as a request) until it
//! ends. A `subscribe` may carry up to [`super::MAX_MESSAGE_BYTES`], so `--ws-max-subscriptions`
//! operations alone would let one connection hold a hundred times that. The connection counts
//! each operation's [`payload_bytes`] while it runs, and refuses one that would take the total
//! over [`super::MAX_OPERATION_BYTES`].

use std::collections::HashMap;
use std::io;

use serde_json::Value;
use tokio::task::JoinHandle;

use super::message::{Id, OperationPayload};
use crate::error::ErrorCode;
use crate::graphql::live::operation::{coded, error_value};

/// The error sent for an operation over `--ws-max-subscriptions`.
pub(super) fn too_many_subscriptions(max: usize) -> Value {
    let message = format!(
        "this connection runs {max} operations, the most allowed (--ws-max-subscriptions); \
         complete one first"
    );
    error_value(&coded(ErrorCode::TooManySubscriptions, message))
}

/// The error sent for an operation of `bytes` that would take the `held` bytes of a
/// connection's running operations over `budget`.
pub(super) fn operations_too_large(budget: usize, held: usize, bytes: usize) -> Value {
    let message = format!(
        "this connection's running operations hold {held} bytes of query text and variables; \
         this one's {bytes} would go over the {budget} bytes allowed per connection; complete \
         some operations first, or send smaller ones"
    );
    error_value(&coded(ErrorCode::OperationsTooLarge, message))
}

/// A running operation. Dropping it stops its task.
struct Running {
    serial: u64,
    bytes: usize,
    task: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The running operations of one connection, by id.
#[derive(Default)]
pub(super) struct Operations {
    running: HashMap<Id, Running>,
    /// The sum of the running operations' `bytes`.
    bytes: usize,
    /// Tells a result of a completed operation from one of a later operation with the same id.
    serial: u64,
}

impl Operations {
    pub(super) fn len(&self) -> usize {
        self.running.len()
    }

    /// The payload bytes the running operations hold.
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(super) fn contains(&self, id: &Id) -> bool {
        self.running.contains_key(id)
    }

    /// Whether `serial` is the run of `id` that is running now.
    pub(super) fn is_current(&self, id: &Id, serial: u64) -> bool {
        self.running
            .get(id)
            .is_some_and(|running| running.serial == serial)
    }

    /// Starts `id`, which holds `bytes`: `spawn` is given the run's serial.
    pub(super) fn start(
        &mut self,
        id: Id,
        bytes: usize,
        spawn: impl FnOnce(u64) -> JoinHandle<()>,
    ) {
        self.serial += 1;
        let task = spawn(self.serial);
        let running = Running {
            serial: self.serial,
            bytes,
            task,
        };
        self.bytes += bytes;
        if let Some(replaced) = self.running.insert(id, running) {
            // The connection checks that the id is free first; should it not, count right.
            self.bytes -= replaced.bytes;
        }
    }

    /// Stops `id` and releases its bytes; `false` if it was not running.
    pub(super) fn stop(&mut self, id: &Id) -> bool {
        match self.running.remove(id) {
            Some(running) => {
                self.bytes -= running.bytes;
                true
            }
            None => false,
        }
    }

    /// Stops every operation.
    pub(super) fn clear(&mut self) {
        self.running.clear();
        self.bytes = 0;
    }
}

/// What an operation is counted for: its query text and its variables as JSON text.
pub(super) fn payload_bytes(payload: &OperationPayload) -> usize {
    let variables = match &payload.variables {
        Some(variables) => {
            let mut counted = Counted(0);
            // Writing a map of JSON values to a counter cannot fail; if it could, the
            // operation would count as too large rather than as nothing.
            match serde_json::to_writer(&mut counted, variables) {
                Ok(()) => counted.0,
                Err(_) => usize::MAX,
            }
        }
        None => 0,
    };
    payload.query.len().saturating_add(variables)
}

/// Counts the bytes written to it, and keeps none.
struct Counted(usize);

impl io::Write for Counted {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 = self.0.saturating_add(bytes.len());
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn payload(query: &str, variables: serde_json::Value) -> OperationPayload {
        serde_json::from_value(json!({ "query": query, "variables": variables }))
            .expect("a payload")
    }

    #[test]
    fn an_operation_counts_its_query_and_its_variables_as_json() {
        let variables = json!({ "after": "12", "pad": "xyz" });
        let expected = "{ q }".len() + variables.to_string().len();
        assert_eq!(payload_bytes(&payload("{ q }", variables)), expected);
        assert_eq!(payload_bytes(&payload("{ q }", json!(null))), 5);
    }

    #[tokio::test]
    async fn bytes_are_released_when_an_operation_stops() {
        let mut operations = Operations::default();
        let id = |name: &str| serde_json::from_value::<Id>(json!(name)).expect("an id");
        let idle = |_| tokio::spawn(std::future::pending());
        operations.start(id("a"), 100, idle);
        operations.start(id("b"), 30, idle);
        assert_eq!((operations.len(), operations.bytes()), (2, 130));
        assert!(operations.stop(&id("a")));
        assert!(!operations.stop(&id("a")), "stopped once");
        assert_eq!(operations.bytes(), 30);
        operations.clear();
        assert_eq!((operations.len(), operations.bytes()), (0, 0));
    }
}
