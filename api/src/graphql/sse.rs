//! GraphQL over Server-Sent Events: `GET` and `POST /graphql/stream` with
//! `Accept: text/event-stream`, the "distinct connections mode" of the graphql-sse protocol, for
//! clients that cannot use WebSockets. One request runs one operation; its results come as
//! `next` events, then `complete` when it ends (a subscription's end is the client hanging up).
//!
//! A request is checked as GraphQL over HTTP checks it, before anything is streamed: a missing
//! or wrong key (401, from the headers, before the body or query string is read), a body or
//! query string that is not a request (400, 413, 415), a query that does not parse or is over a
//! limit (400, 413) are answered with that status and a JSON `{"errors": [...]}`. What is found later, by validation or when the operation is chosen
//! (unknown field, too deep or complex, bad variables), comes in the stream as a `next` carrying
//! `errors`, then `complete`: the protocol requires it, since a client such as the browser's
//! `EventSource` is shown nothing of a failed response.
//!
//! Past the checks the operation runs exactly as one sent over WebSocket
//! ([`super::live::operation`]): the key's scope, fresh loaders, catch-up from `afterPosition` then
//! live, the shared execution of identical live subscriptions. So the delivery guarantee is the
//! same code. A stream takes one of the `--live-max-connections` slots for as long as it is open.
//! How a stream is written, kept alive and ended is in [`stream`].

mod stream;

use async_graphql::ServerError;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::Scope;
use super::http::{
    Media, Params, accepted, bad_request, params_of_post, params_of_query, refuse,
    refused_document, reply, unauthenticated,
};
use super::live::operation;
use super::live::{OperationPayload, REFUSALS_LOGGED, too_many_connections};
use crate::error::ErrorCode;
use crate::graphql::RouteState;
use crate::graphql::measure::StreamedOperation;

/// `GET /graphql/stream`: the request in the query string, `variables` and `extensions` as JSON.
pub async fn get(
    State(state): State<RouteState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(refusal) = unacceptable(&headers) {
        return refusal;
    }
    let scope = match state.api_keys.scope_of_headers(&headers) {
        Ok(scope) => scope,
        Err(refusal) => return unauthenticated(Media::Json, refusal),
    };
    match params_of_query(raw.as_deref().unwrap_or_default()) {
        Ok(params) => open(state, scope, params).await,
        Err(message) => bad_request(Media::Json, message),
    }
}

/// `POST /graphql/stream`: the request as a JSON object, as on `POST /graphql`.
pub async fn post(State(state): State<RouteState>, headers: HeaderMap, body: Body) -> Response {
    if let Some(refusal) = unacceptable(&headers) {
        return refusal;
    }
    let scope = match state.api_keys.scope_of_headers(&headers) {
        Ok(scope) => scope,
        Err(refusal) => return unauthenticated(Media::Json, refusal),
    };
    match params_of_post(Media::Json, &headers, body).await {
        Ok(params) => open(state, scope, params).await,
        Err(refusal) => refusal,
    }
}

/// The 406 for a client that accepts no event stream: this path answers with nothing else, and
/// one that wants JSON is pointed to `/graphql`. No `Accept`, `*/*` and `text/*` take the stream.
fn unacceptable(headers: &HeaderMap) -> Option<Response> {
    let mut ranges = accepted(headers)?;
    if ranges.any(|essence| matches!(essence.as_str(), "text/event-stream" | "text/*" | "*/*")) {
        return None;
    }
    Some(refuse(
        Media::Json,
        StatusCode::NOT_ACCEPTABLE,
        ErrorCode::BadRequest,
        "this path answers with text/event-stream (GraphQL over SSE): send \
         Accept: text/event-stream, or use /graphql for JSON answers",
    ))
}

/// Checks the request of an authenticated client and, if it may run, opens its stream.
async fn open(state: RouteState, scope: Scope, params: Params) -> Response {
    let query = match state
        .persisted
        .resolve(&state.store, scope, params.query, params.reference)
        .await
    {
        Ok(query) => query,
        Err(err) => return refused_document(Media::Json, &err),
    };
    let payload = OperationPayload {
        query,
        operation_name: params.operation_name,
        variables: params.variables,
        extensions: None,
    };
    let request = match operation::prepare(&state, scope, payload.clone()) {
        Ok(request) => request,
        Err(error) => {
            let name = payload.operation_name.as_deref();
            StreamedOperation::new(&state.graphql_metrics, name, None).refused();
            return refused(error);
        }
    };
    let Some(slot) = state.live.slot() else {
        let max = state.live.settings().max_connections;
        if let Some(held_back) = REFUSALS_LOGGED.allow() {
            tracing::warn!(
                code = ErrorCode::TooManyConnections.screaming(),
                held_back,
                "GraphQL over SSE refused: {max} connections are open (one such line per 10 s, \
                 WebSocket refusals included; held_back counts those not written)"
            );
        }
        return refuse(
            Media::Json,
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::TooManyConnections,
            too_many_connections(max),
        );
    };
    stream::respond(state, scope, payload, request, slot)
}

/// A query that cannot run, with the status GraphQL over HTTP answers it with: 413 for one over
/// `--graphql-max-query-bytes`, 400 otherwise.
fn refused(error: ServerError) -> Response {
    let too_large = error
        .extensions
        .as_ref()
        .and_then(|extensions| extensions.get("code"))
        .is_some_and(|value| {
            *value == async_graphql::Value::String(ErrorCode::QueryTooLarge.screaming().to_owned())
        });
    let status = if too_large {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        StatusCode::BAD_REQUEST
    };
    reply(
        Media::Json,
        status,
        &serde_json::json!({ "errors": [error] }),
    )
}
