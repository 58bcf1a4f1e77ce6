//! The answers of GraphQL over HTTP that are not results: refusals, in the media type (and so
//! with the status) the client accepts.

use async_graphql::ServerError;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::Media;
use crate::error::ErrorCode;
use crate::graphql::auth::Refusal;
use crate::graphql::persisted::PersistedError;

pub(super) fn not_acceptable() -> Response {
    refuse(
        Media::Json,
        StatusCode::NOT_ACCEPTABLE,
        ErrorCode::BadRequest,
        "the answer is application/graphql-response+json or application/json; accept one of them",
    )
}

pub(in crate::graphql) fn reply(
    media: Media,
    status: StatusCode,
    body: &impl Serialize,
) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    reply_bytes(media, status, Bytes::from(bytes))
}

pub(super) fn reply_bytes(media: Media, status: StatusCode, bytes: Bytes) -> Response {
    // The media type, and the status with it, depend on `Accept`.
    let headers = [
        (header::CONTENT_TYPE, media.content_type()),
        (header::VARY, "Accept"),
    ];
    (status, headers, bytes).into_response()
}

/// Errors found before execution: 400 with the GraphQL response media type, 200 with JSON.
pub(super) fn request_error(media: Media, errors: Vec<ServerError>) -> Response {
    let status = match media {
        Media::GraphqlResponseJson => StatusCode::BAD_REQUEST,
        Media::Json => StatusCode::OK,
    };
    reply(media, status, &json!({ "errors": errors }))
}

/// A request that is not a well-formed GraphQL-over-HTTP request: always 400.
pub(in crate::graphql) fn bad_request(media: Media, message: impl Into<String>) -> Response {
    refuse(
        media,
        StatusCode::BAD_REQUEST,
        ErrorCode::BadRequest,
        message,
    )
}

pub(in crate::graphql) fn refuse(
    media: Media,
    status: StatusCode,
    error_code: ErrorCode,
    message: impl Into<String>,
) -> Response {
    let message = message.into();
    let error_code = error_code.screaming();
    reply(
        media,
        status,
        &json!({ "errors": [{ "message": message, "extensions": { "code": error_code } }] }),
    )
}

pub(in crate::graphql) fn too_large(media: Media, message: String) -> Response {
    refuse(
        media,
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::QueryTooLarge,
        message,
    )
}

pub(in crate::graphql) fn unauthenticated(media: Media, refusal: Refusal) -> Response {
    let message = match refusal {
        Refusal::Missing => "this API needs a key: send Authorization: Bearer <key>",
        Refusal::Wrong => "the API key is not valid",
    };
    let refusal = refuse(
        media,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
        message,
    );
    ([(header::WWW_AUTHENTICATE, "Bearer")], refusal).into_response()
}

/// The answer to a request whose document cannot be had (`graphql::persisted`).
pub(in crate::graphql) fn refused_document(media: Media, err: &PersistedError) -> Response {
    let error = err.to_server_error();
    reply(
        media,
        err.status(),
        &serde_json::json!({ "errors": [error] }),
    )
}
