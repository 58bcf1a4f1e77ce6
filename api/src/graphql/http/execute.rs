//! Running a request that passed the transport's checks: its document (text or persisted),
//! the answer cache, entity tags for GET, then parsing, the limits and execution.

use std::sync::Arc;

use async_graphql::Variables;
use async_graphql::parser::types::OperationType;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::reply::{reply_bytes, request_error};
use super::{Media, Params, oversized, refuse, refused_document, too_large, too_many_aliases};
use crate::error::ErrorCode;
use crate::graphql::cache::{Answer, Key};
use crate::graphql::errors::{parse_failed, validation_failed};
use crate::graphql::measure::{REFUSED, operation_name as metric_name, outcome, type_label};
use crate::graphql::{RouteState, Scope, failed_before_execution, operation_type};
use crate::transfer;

/// How a request came: a GET may be revalidated by its entity tag.
#[derive(Debug, Clone, Copy)]
pub(super) enum Via<'a> {
    Get(&'a HeaderMap),
    Post,
}

pub(super) async fn execute(
    state: &RouteState,
    scope: Scope,
    media: Media,
    params: Params,
    via: Via<'_>,
) -> Response {
    // Before a registration keeps the text.
    if let Some(message) = params
        .query
        .as_deref()
        .and_then(|query| oversized(&state.graphql_limits, query))
    {
        return too_large(media, message);
    }
    let query = match state
        .persisted
        .resolve(&state.store, scope, params.query, params.reference)
        .await
    {
        Ok(query) => query,
        Err(err) => return refused_document(media, &err),
    };
    let is_get = matches!(via, Via::Get(_));
    let request = Checked {
        query,
        operation_name: params.operation_name,
        variables: params.variables,
        scope,
        media,
        is_get,
    };
    if !state.answers.is_enabled() && !is_get {
        return run(state, request).await.0;
    }
    // Read before the query runs, so neither a kept answer nor a tag is older than the store
    // was when the request arrived. Without the version nothing is reused or tagged; the query
    // itself will say why.
    let Ok(version) = state.store.version().await else {
        return run(state, request).await.0;
    };
    let key = Key::new(
        version,
        scope,
        &request.query,
        request.operation_name.as_deref(),
        request.variables.as_ref(),
    );
    let tag = is_get.then(|| key.tag(media.content_type()));
    if let (Via::Get(headers), Some(tag)) = (via, &tag)
        && transfer::fresh(headers, tag)
    {
        return revalidated(transfer::not_modified(tag.clone()));
    }
    let (response, answer) = if state.answers.is_enabled() {
        answer_kept(state, key, request).await
    } else {
        let (response, answer) = run(state, request).await;
        (response, answer.is_some())
    };
    match tag {
        // Only an answer without errors is tagged: an error may be gone on the next try.
        Some(tag) if answer => {
            let mut response = revalidated(response);
            response.headers_mut().insert(header::ETAG, tag);
            response
        }
        _ => response,
    }
}

/// An answer a browser keeps but asks about again each time (`If-None-Match`): a key, not a
/// URL, decides what a request may see, so no shared cache may keep it.
fn revalidated(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}

/// The answer to `request` from the answer cache, or computed and kept there; and whether it
/// ran without an error.
async fn answer_kept(state: &RouteState, key: Key, request: Checked) -> (Response, bool) {
    let media = request.media;
    let mut computed = None;
    let mut ran = false;
    let answer = state
        .answers
        .get_or_compute(key, async {
            ran = true;
            let (response, answer) = run(state, request.clone()).await;
            if answer.is_none() {
                computed = Some(response);
            }
            answer
        })
        .await;
    match (answer, computed) {
        (Some(answer), _) => {
            // Only a query that ran without an error is kept, so a reuse is that query again.
            if !ran {
                let name = answer.operation.as_deref();
                state.graphql_metrics.operation(name, "query", "ok");
            }
            (reply_bytes(media, StatusCode::OK, answer.body), true)
        }
        (None, Some(response)) => (response, false),
        // Another request computed it at the same time and could not keep it: an error, which
        // this request reports for itself.
        (None, None) => {
            let (response, answer) = run(state, request).await;
            (response, answer.is_some())
        }
    }
}

/// A request that passed the checks made before parsing.
#[derive(Debug, Clone)]
struct Checked {
    query: String,
    operation_name: Option<String>,
    variables: Option<Map<String, Value>>,
    scope: Scope,
    media: Media,
    is_get: bool,
}

/// Parses, checks and executes a request; returns the response and, when it may be reused (a
/// query that ran without an error), its body.
async fn run(state: &RouteState, checked: Checked) -> (Response, Option<Answer>) {
    let media = checked.media;
    let limits = &state.graphql_limits;
    let mut request = async_graphql::Request::new(checked.query)
        .data(checked.scope)
        .data(crate::graphql::loaders_for(&state.store));
    if let Some(name) = checked.operation_name {
        request = request.operation_name(name);
    }
    if let Some(variables) = checked.variables {
        request = request.variables(Variables::from_json(Value::Object(variables)));
    }
    let operation_name = request.operation_name.clone();
    let document = match state.documents.parse(&mut request) {
        Ok(document) => document,
        Err(err) => {
            let name = operation_name.as_deref();
            state
                .graphql_metrics
                .operation(name, type_label(None), REFUSED);
            let errors = vec![parse_failed(limits, err)];
            return (request_error(media, errors), None);
        }
    };
    let counted_name = metric_name(document, operation_name.as_deref()).map(str::to_owned);
    let count = |kind, outcome| {
        let name = counted_name.as_deref();
        state
            .graphql_metrics
            .operation(name, type_label(kind), outcome);
    };
    let operation = operation_type(document, operation_name.as_deref());
    if let Some(message) = too_many_aliases(limits, document) {
        count(operation, REFUSED);
        let refusal = refuse(
            media,
            StatusCode::BAD_REQUEST,
            ErrorCode::TooManyAliases,
            message,
        );
        return (refusal, None);
    }
    if checked.is_get && operation == Some(OperationType::Mutation) {
        count(operation, REFUSED);
        let refusal = refuse(
            media,
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::BadRequest,
            "mutations are sent with POST",
        );
        return (([(header::ALLOW, "POST")], refusal).into_response(), None);
    }

    let response = state.schema.execute(request).await;
    if failed_before_execution(&response) {
        count(operation, REFUSED);
        let errors = response
            .errors
            .into_iter()
            .map(|err| validation_failed(limits, err))
            .collect();
        return (request_error(media, errors), None);
    }
    count(operation, outcome(&response));
    let body = Bytes::from(serde_json::to_vec(&response).unwrap_or_default());
    let reusable = operation == Some(OperationType::Query) && response.errors.is_empty();
    let answer = reusable.then(|| Answer {
        body: body.clone(),
        operation: counted_name.as_deref().map(Arc::from),
    });
    (reply_bytes(media, StatusCode::OK, body), answer)
}
