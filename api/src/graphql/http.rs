//! GraphQL over HTTP, as its specification says: `POST` with `application/json`, `GET` with the
//! request in the query string (queries only; a mutation is 405), and status codes by the media
//! type the client accepts. With `application/graphql-response+json` (the default, also for
//! `*/*`) a request that cannot run (unparseable, invalid, unknown operation, bad variables) is
//! 400 and carries no `data`; with `application/json` it is 200, as older clients expect.
//!
//! With API keys configured the key is checked first, from the headers alone: a request without
//! a valid `Authorization: Bearer` key is answered 401 before its body or query string is read,
//! so a guesser costs what a refused webhook does, and sending a megabyte buys nothing.
//!
//! A browser's `GET /graphql` (`Accept` names `text/html`, no `query` parameter) gets the
//! GraphiQL page of [`super::graphiql`] instead, and a WebSocket upgrade goes to [`super::ws`].

use async_graphql::parser::types::ExecutableDocument;
use axum::Extension;
use axum::body::Body;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

mod document;
mod execute;
mod media;
mod reply;

pub(crate) use document::{operation, operation_type};
pub(super) use media::{Media, accepted};
pub(super) use reply::{bad_request, refuse, refused_document, reply, too_large, unauthenticated};

use document::count_aliases;
use execute::{Via, execute};
use media::{accepts_html, check_content_type, negotiate};
use reply::not_acceptable;

use super::persisted::Reference;
use super::{graphiql, ws};
use crate::auth_guard::LateFailure;
use crate::body::{BodyError, read_limited};
use crate::error::ErrorCode;
use crate::graphql::RouteState;

/// Limits on what one request may ask, each a flag.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_query_bytes: usize,
    pub introspection: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // GraphiQL's schema query (graphql-js's introspection query) is 14 fields deep.
            max_depth: 15,
            max_complexity: 5_000,
            max_aliases: 30,
            max_query_bytes: 32 * 1024,
            introspection: true,
        }
    }
}

/// The largest POST body read, whatever the query limit: variables come on top of the query.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The request's parameters, from the query string or the JSON body.
#[derive(Debug, Default)]
pub(super) struct Params {
    pub query: Option<String>,
    pub operation_name: Option<String>,
    pub variables: Option<Map<String, Value>>,
    /// A persisted document's hash or id, in place of `query` or beside it.
    pub reference: Option<Reference>,
}

/// `GET /graphql`: a query in the query string, GraphiQL for a browser, or a WebSocket.
pub async fn get(
    State(state): State<RouteState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    late_failure: Option<Extension<LateFailure>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    match upgrade {
        Ok(upgrade) => {
            let late_failure = late_failure.map(|Extension(late)| late);
            return ws::accept(state, &headers, upgrade, late_failure);
        }
        Err(rejection) if ws::asks_for_upgrade(&headers) => return ws::refuse(rejection),
        Err(_) => {}
    }
    let raw = raw.unwrap_or_default();
    let pairs = form_urlencoded::parse(raw.as_bytes());
    if accepts_html(&headers) && !pairs.into_iter().any(|(name, _)| name == "query") {
        return graphiql::page();
    }
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let scope = match state.api_keys.scope_of_headers(&headers) {
        Ok(scope) => scope,
        Err(refusal) => return unauthenticated(media, refusal),
    };
    match params_of_query(&raw) {
        Ok(params) => execute(&state, scope, media, params, Via::Get(&headers)).await,
        Err(message) => bad_request(media, message),
    }
}

/// The parameters of a GET query string; the error says what is wrong with them.
pub(super) fn params_of_query(raw: &str) -> Result<Params, String> {
    let mut params = Params::default();
    let mut extensions = None;
    let mut document_id = None;
    for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
        match name.as_ref() {
            "query" => params.query = Some(value.into_owned()),
            "operationName" => params.operation_name = Some(value.into_owned()),
            "documentId" => document_id = Some(value.into_owned()),
            // JSON objects, or `null` for none.
            "variables" => {
                params.variables = serde_json::from_str(&value)
                    .map_err(|_| "`variables` must be a JSON object".to_owned())?;
            }
            "extensions" => {
                extensions = serde_json::from_str::<Option<Map<String, Value>>>(&value)
                    .map_err(|_| "`extensions` must be a JSON object".to_owned())?;
            }
            _ => {}
        }
    }
    params.reference = Reference::of(extensions.as_ref(), document_id)?;
    Ok(params)
}

/// `POST /graphql`: the request as a JSON object.
pub async fn post(State(state): State<RouteState>, headers: HeaderMap, body: Body) -> Response {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let scope = match state.api_keys.scope_of_headers(&headers) {
        Ok(scope) => scope,
        Err(refusal) => return unauthenticated(media, refusal),
    };
    match params_of_post(media, &headers, body).await {
        Ok(params) => execute(&state, scope, media, params, Via::Post).await,
        Err(refusal) => refusal,
    }
}

/// The parameters of a POST, or the answer to one that is not a JSON object within the size
/// limit (415, 413, 400), in `media`. Called once the key is checked: the body is read and parsed
/// only for a client that may use it.
pub(super) async fn params_of_post(
    media: Media,
    headers: &HeaderMap,
    body: Body,
) -> Result<Params, Response> {
    if let Err(message) = check_content_type(headers) {
        return Err(refuse(
            Media::Json,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadRequest,
            message,
        ));
    }
    // Read here rather than by the `Bytes` extractor, whose own (larger) limit answers in plain
    // text. The only other failure is a client that went away, which gets no answer anyway.
    let body = match read_limited(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            let message = format!("the request body is over {MAX_BODY_BYTES} bytes");
            return Err(too_large(media, message));
        }
        // The client went away: nobody to answer.
        Err(BodyError::Unreadable(message)) => return Err(bad_request(media, message)),
    };
    params_of_body(&body).map_err(|message| bad_request(media, message))
}

/// The parameters of a POST body; the error says what is wrong with it.
fn params_of_body(body: &[u8]) -> Result<Params, String> {
    let mut object = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => object,
        Ok(Value::Array(_)) => return Err(BATCH_REFUSED.into()),
        Ok(_) => return Err("the body must be a JSON object with a `query`".into()),
        Err(err) => return Err(format!("the body is not JSON: {err}")),
    };
    let mut params = Params {
        query: member(&mut object, "query", "a string")?,
        operation_name: member(&mut object, "operationName", "a string")?,
        variables: member(&mut object, "variables", "an object")?,
        reference: None,
    };
    let extensions = member::<Map<String, Value>>(&mut object, "extensions", "an object")?;
    let document_id = member(&mut object, "documentId", "a string")?;
    params.reference = Reference::of(extensions.as_ref(), document_id)?;
    Ok(params)
}

const BATCH_REFUSED: &str = "batched requests are not supported; send one operation per request";

/// A member of the POST body, which must be of type `T` (`what`) when present and not null.
fn member<T: DeserializeOwned>(
    object: &mut Map<String, Value>,
    name: &str,
    what: &str,
) -> Result<Option<T>, String> {
    match object.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => serde_json::from_value(value)
            .map(Some)
            .map_err(|_| format!("`{name}` must be {what}")),
    }
}

/// Why a query is over `--graphql-max-query-bytes`, if it is.
pub(super) fn oversized(limits: &Limits, query: &str) -> Option<String> {
    let (bytes, max) = (query.len(), limits.max_query_bytes);
    (bytes > max).then(|| {
        format!("the query is {bytes} bytes, over the limit of {max} (--graphql-max-query-bytes)")
    })
}

/// Why a query is over `--graphql-max-aliases`, if it is.
pub(super) fn too_many_aliases(limits: &Limits, document: &ExecutableDocument) -> Option<String> {
    let (aliases, max) = (count_aliases(document), limits.max_aliases);
    (aliases > max).then(|| {
        format!("the query has {aliases} aliases, over the limit of {max} (--graphql-max-aliases)")
    })
}

/// Whether the errors were found before anything ran: parse and validation errors, an unknown
/// operation, bad variables.
pub(crate) fn failed_before_execution(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|err| err.path.is_empty())
}
