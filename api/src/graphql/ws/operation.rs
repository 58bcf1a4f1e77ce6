//! One operation of a connection, in its own task: the checks GraphQL over HTTP makes, then
//! each result, encoded, into the connection's queue.

use async_graphql::{Request, ServerError, Variables};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::message::{Id, OperationPayload};
use crate::AppState;
use crate::graphql::errors::code;
use crate::graphql::http::{failed_before_execution, oversized, too_many_aliases, with_code};
use crate::graphql::{Scope, loaders_for};

/// `extensions.code` of an operation refused for `--ws-max-subscriptions`.
const TOO_MANY_SUBSCRIPTIONS: &str = "TOO_MANY_SUBSCRIPTIONS";

/// What an operation has to say.
#[derive(Debug)]
pub(super) enum Event {
    /// A result: `{data, errors}`.
    Next(Value),
    /// The operation could not run; it is over.
    Error(Vec<Value>),
    /// The results are over.
    Complete,
}

/// An event of one run of an operation.
#[derive(Debug)]
pub(super) struct Outcome {
    pub id: Id,
    pub serial: u64,
    pub event: Event,
}

/// Where one operation's events go: the connection's queue, tagged with the operation.
#[derive(Debug)]
pub(super) struct Results {
    id: Id,
    serial: u64,
    queue: mpsc::Sender<Outcome>,
}

impl Results {
    pub(super) fn new(id: Id, serial: u64, queue: mpsc::Sender<Outcome>) -> Self {
        Self { id, serial, queue }
    }

    /// Waits for room in the queue; `false` once the connection is gone.
    async fn send(&self, event: Event) -> bool {
        let outcome = Outcome {
            id: self.id.clone(),
            serial: self.serial,
            event,
        };
        self.queue.send(outcome).await.is_ok()
    }
}

/// Runs an operation to its end (a subscription's never comes: the connection stops it).
pub(super) async fn run(state: AppState, scope: Scope, payload: OperationPayload, out: Results) {
    let request = match prepare(&state, scope, payload) {
        Ok(request) => request,
        Err(error) => {
            out.send(Event::Error(vec![error_value(&error)])).await;
            return;
        }
    };
    let mut responses = state.schema.execute_stream(request);
    let mut first = true;
    while let Some(response) = responses.next().await {
        // Parse and validation errors, an unknown operation: nothing ran.
        if first && failed_before_execution(&response) {
            let errors = response
                .errors
                .into_iter()
                .map(|err| error_value(&with_code(err, code::GRAPHQL_VALIDATION_FAILED)))
                .collect();
            out.send(Event::Error(errors)).await;
            return;
        }
        first = false;
        if !out.send(Event::Next(result_value(&response))).await {
            return;
        }
    }
    out.send(Event::Complete).await;
}

/// The request as HTTP would run it: its limits, the key's scope, fresh loaders.
fn prepare(
    state: &AppState,
    scope: Scope,
    payload: OperationPayload,
) -> Result<Request, ServerError> {
    let limits = &state.graphql_limits;
    if let Some(message) = oversized(limits, &payload.query) {
        return Err(coded(code::QUERY_TOO_LARGE, message));
    }
    let mut request = Request::new(payload.query)
        .data(scope)
        .data(loaders_for(&state.store));
    if let Some(name) = payload.operation_name {
        request = request.operation_name(name);
    }
    if let Some(variables) = payload.variables {
        request = request.variables(Variables::from_json(Value::Object(variables)));
    }
    let document = request
        .parsed_query()
        .map_err(|err| with_code(err, code::GRAPHQL_PARSE_FAILED))?;
    if let Some(message) = too_many_aliases(limits, document) {
        return Err(coded(code::TOO_MANY_ALIASES, message));
    }
    Ok(request)
}

/// The error sent for an operation over `--ws-max-subscriptions`.
pub(super) fn too_many_subscriptions(max: usize) -> Value {
    let message = format!(
        "this connection runs {max} operations, the most allowed (--ws-max-subscriptions); \
         complete one first"
    );
    error_value(&coded(TOO_MANY_SUBSCRIPTIONS, message))
}

fn coded(error_code: &'static str, message: String) -> ServerError {
    with_code(ServerError::new(message, None), error_code)
}

fn error_value(error: &ServerError) -> Value {
    serde_json::to_value(error).unwrap_or_else(|_| json!({ "message": error.message }))
}

fn result_value(response: &async_graphql::Response) -> Value {
    serde_json::to_value(response).unwrap_or_else(|err| {
        tracing::error!(error = %err, "a GraphQL result could not be encoded");
        json!({ "errors": [{ "message": "the result could not be encoded" }] })
    })
}
