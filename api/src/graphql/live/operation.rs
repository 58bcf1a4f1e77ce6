//! One operation of a connection, in its own task: the checks GraphQL over HTTP makes, then
//! each result, encoded, into the connection's queue.

use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use async_graphql::{Request, ServerError, Variables};
use futures_util::{FutureExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::shared::{self, Key};
use super::{Id, OperationPayload};
use crate::error::ErrorCode;
use crate::graphql::RouteState;
use crate::graphql::errors::{parse_failed, validation_failed, with_code};
use crate::graphql::http::{Limits, failed_before_execution, oversized, too_many_aliases};
use crate::graphql::measure::{StreamedOperation, Transport, operation_name};
use crate::graphql::persisted::Reference;
use crate::graphql::subscription::{ResumeAfter, replays_from_filter};
use crate::graphql::{Scope, loaders_for, operation_type};

/// What an operation has to say.
#[derive(Debug, Clone)]
pub(in crate::graphql) enum Event {
    /// A result, `{data, errors}`, encoded.
    Next(Arc<str>),
    /// The operation could not run; it is over.
    Error(Vec<Value>),
    /// The results are over.
    Complete,
}

/// An event of one run of an operation.
#[derive(Debug)]
pub(in crate::graphql) struct Outcome {
    pub id: Id,
    pub serial: u64,
    pub event: Event,
}

/// Where one operation's events go: the connection's queue, tagged with the operation.
#[derive(Debug)]
pub(in crate::graphql) struct Results {
    id: Id,
    serial: u64,
    queue: mpsc::Sender<Outcome>,
}

impl Results {
    pub(in crate::graphql) fn new(id: Id, serial: u64, queue: mpsc::Sender<Outcome>) -> Self {
        Self { id, serial, queue }
    }

    /// Waits for room in the queue; `false` once the connection is gone.
    pub(super) async fn send(&self, event: Event) -> bool {
        let outcome = Outcome {
            id: self.id.clone(),
            serial: self.serial,
            event,
        };
        self.queue.send(outcome).await.is_ok()
    }
}

/// Runs an operation to its end (a subscription's never comes: the connection stops it). A
/// subscription from now joins the group of identical ones ([`shared`]) while it keeps up.
pub(in crate::graphql) async fn run(
    state: RouteState,
    scope: Scope,
    payload: OperationPayload,
    out: Results,
) {
    let name = payload.operation_name.as_deref();
    let Some(request) = prepared(&state, scope, payload.clone(), &out).await else {
        StreamedOperation::new(&state.graphql_metrics, name, None).refused();
        return;
    };
    run_prepared(state, scope, payload, request, out, Transport::WebSocket).await;
}

/// [`run`] for a request that [`prepare`] made from `payload` already.
///
/// The request holds the query and variables while the operation runs; `payload` is dropped,
/// or for a shared subscription becomes its [`Key`], as soon as it is read, so that an
/// operation holds one copy of them, not two or three.
pub(in crate::graphql) async fn run_prepared(
    state: RouteState,
    scope: Scope,
    payload: OperationPayload,
    mut request: Request,
    out: Results,
    transport: Transport,
) {
    let name = payload.operation_name.as_deref();
    // Taken out while the document is borrowed, and put back: not a copy.
    let variables = std::mem::take(&mut request.variables);
    // `prepare` parsed the document already; should it not have, the execution says why.
    let (mut counter, kind, shareable) = match request.parsed_query() {
        Ok(document) => {
            let kind = operation_type(document, name);
            let counted_name = operation_name(document, name);
            let counter = StreamedOperation::new(&state.graphql_metrics, counted_name, kind);
            let shareable = shared::shareable(document, name)
                && !replays_from_filter(document, name, &variables);
            (counter, kind, shareable)
        }
        Err(_) => (
            StreamedOperation::new(&state.graphql_metrics, name, None),
            None,
            false,
        ),
    };
    request.variables = variables;
    let _live = (kind == Some(OperationType::Subscription))
        .then(|| state.graphql_metrics.subscriber(transport));
    if !shareable {
        drop(payload);
        return alone(&state, request, &out, &mut counter).await;
    }
    let key = Key::of(scope, payload);
    let Some(resume) = state
        .live
        .groups
        .run(&state, &key, request, &out, &mut counter)
        .await
    else {
        return;
    };
    // Rare (the subscriber fell behind its group): the payload is read back from the key.
    let payload = match key.into_payload() {
        Ok(payload) => payload,
        Err(err) => {
            tracing::error!(error = %err, "a shared subscription's variables did not read back");
            out.send(Event::Error(vec![cannot_go_on_alone()])).await;
            return;
        }
    };
    if let Some(request) = prepared(&state, scope, payload, &out).await {
        alone(
            &state,
            request.data(ResumeAfter(resume)),
            &out,
            &mut counter,
        )
        .await;
    }
}

/// The request, or `None` once the client was told why it cannot run.
async fn prepared(
    state: &RouteState,
    scope: Scope,
    mut payload: OperationPayload,
    out: &Results,
) -> Option<Request> {
    let reference = match Reference::of(payload.extensions.as_ref(), None) {
        Ok(reference) => reference,
        Err(message) => {
            let error = coded(ErrorCode::BadRequest, message);
            out.send(Event::Error(vec![error_value(&error)])).await;
            return None;
        }
    };
    let query = std::mem::take(&mut payload.query);
    let query = (!query.is_empty() || reference.is_none()).then_some(query);
    payload.query = match state
        .persisted
        .resolve(&state.store, scope, query, reference)
        .await
    {
        Ok(query) => query,
        Err(err) => {
            let error = err.to_server_error();
            out.send(Event::Error(vec![error_value(&error)])).await;
            return None;
        }
    };
    match prepare(state, scope, payload) {
        Ok(request) => Some(request),
        Err(error) => {
            out.send(Event::Error(vec![error_value(&error)])).await;
            None
        }
    }
}

/// Runs `request` on its own, sending each result as it comes.
async fn alone(
    state: &RouteState,
    request: Request,
    out: &Results,
    counter: &mut StreamedOperation,
) {
    let mut responses = state.schema.execute_stream(request);
    let mut ready = responses.next().now_or_never();
    counter.first_poll(ready.as_ref());
    let mut first = true;
    loop {
        let next = match ready.take() {
            Some(next) => next,
            None => responses.next().await,
        };
        let Some(response) = next else { break };
        let event = event_for(&state.graphql_limits, response, first);
        first = false;
        let failed = matches!(event, Event::Error(_));
        if !out.send(event).await || failed {
            return;
        }
    }
    out.send(Event::Complete).await;
}

/// What a response says: a result, or, for the first, maybe that the operation could not run
/// (parse and validation errors, an unknown operation).
pub(super) fn event_for(limits: &Limits, response: async_graphql::Response, first: bool) -> Event {
    if first && failed_before_execution(&response) {
        let errors = response
            .errors
            .into_iter()
            .map(|err| error_value(&validation_failed(limits, err)))
            .collect();
        return Event::Error(errors);
    }
    Event::Next(result_text(&response))
}

/// The request as HTTP would run it: its limits, the key's scope, fresh loaders. The error
/// carries its `extensions.code`.
pub(in crate::graphql) fn prepare(
    state: &RouteState,
    scope: Scope,
    payload: OperationPayload,
) -> Result<Request, ServerError> {
    let limits = &state.graphql_limits;
    if let Some(message) = oversized(limits, &payload.query) {
        return Err(coded(ErrorCode::QueryTooLarge, message));
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
    let document = state
        .documents
        .parse(&mut request)
        .map_err(|err| parse_failed(limits, err))?;
    if let Some(message) = too_many_aliases(limits, document) {
        return Err(coded(ErrorCode::TooManyAliases, message));
    }
    Ok(request)
}

/// The error for a subscriber that fell behind its group and could not go on alone.
fn cannot_go_on_alone() -> Value {
    let message = "this subscription fell behind and could not go on; subscribe again with \
                   afterPosition set to the last position received";
    error_value(&ServerError::new(message, None))
}

pub(in crate::graphql) fn coded(error_code: ErrorCode, message: String) -> ServerError {
    with_code(ServerError::new(message, None), error_code)
}

pub(in crate::graphql) fn error_value(error: &ServerError) -> Value {
    serde_json::to_value(error).unwrap_or_else(|_| json!({ "message": error.message }))
}

/// A result as JSON text.
pub(super) fn result_text(response: &async_graphql::Response) -> Arc<str> {
    match serde_json::to_string(response) {
        Ok(text) => text.into(),
        Err(err) => {
            tracing::error!(error = %err, "a GraphQL result could not be encoded");
            r#"{"errors":[{"message":"the result could not be encoded"}]}"#.into()
        }
    }
}
