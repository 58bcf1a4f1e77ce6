//! The error body every HTTP route answers with: `{"error": {"code": "...", "message": "..."}}`.
//!
//! `code` is stable and meant for programs; `message` says, for a person, what to change.
//! Internal causes are logged where they happen and never sent. The codes, in both their
//! spellings, come from [`ErrorCode`].

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

mod code;

pub use code::ErrorCode;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    #[schema(value_type = String)]
    pub code: &'static str,
    pub message: String,
}

/// A response with the error body and the given status.
pub fn error_response(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.snake(),
            message: message.into(),
        },
    };
    (status, Json(body)).into_response()
}

/// Logs an error with its whole cause chain, once, at the edge.
pub fn log_chain(context: &str, err: &(dyn std::error::Error + 'static)) {
    let mut chain = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(error = %chain, "{context}");
}
