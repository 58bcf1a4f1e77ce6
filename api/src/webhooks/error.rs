//! How a webhook delivery can fail, and the status each failure answers.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{error_response, log_chain};
use crate::store::StoreError;

/// Seconds a sender is asked to wait before retrying when the store is unavailable.
const RETRY_AFTER_SECONDS: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// 404: the path names no Mobiniti webhook.
    #[error(
        "no webhook `{0}`; the kinds are inbound-message, unsubscribe, bounce, delivery-report, contact-status and rejection"
    )]
    UnknownKind(String),
    /// 401: no token, or not a live one. Nothing was read or stored.
    #[error(
        "missing or wrong webhook token: use the URL printed at start-up (with ?token=) or send Authorization: Bearer <token>"
    )]
    Unauthorized,
    /// 413: the body is over the cap; nothing was stored.
    #[error(
        "the body is larger than {limit} bytes; raise --webhook-body-limit if Mobiniti really sends this much"
    )]
    TooLarge { limit: usize },
    /// 400: the connection failed while the body was read.
    #[error("the body could not be read: {0}")]
    BodyUnreadable(String),
    /// 400: not JSON; kept in quarantine.
    #[error("the body is not JSON ({0}); the delivery is kept in quarantine")]
    InvalidJson(String),
    /// 422: JSON of the wrong shape for the kind; kept in quarantine.
    #[error("the {kind} payload is not valid: {message}; the delivery is kept in quarantine")]
    InvalidPayload { kind: &'static str, message: String },
    /// 422: valid for its kind, but the store refused to keep it (a retry would get the same
    /// answer); kept in quarantine with the store's reason.
    #[error("the store cannot keep this delivery ({reason}); it is kept in quarantine")]
    StoreRefused { reason: String },
    /// 503: the store did not answer; the sender must retry.
    #[error("the event store is unavailable; retry later")]
    Unavailable(#[from] StoreError),
}

impl WebhookError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::UnknownKind(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyUnreadable(_) | Self::InvalidJson(_) => StatusCode::BAD_REQUEST,
            Self::InvalidPayload { .. } | Self::StoreRefused { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownKind(_) => "unknown_webhook",
            Self::Unauthorized => "unauthorized",
            Self::TooLarge { .. } => "payload_too_large",
            Self::BodyUnreadable(_) => "body_unreadable",
            Self::InvalidJson(_) => "invalid_json",
            Self::InvalidPayload { .. } | Self::StoreRefused { .. } => "invalid_payload",
            Self::Unavailable(_) => "store_unavailable",
        }
    }
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        let mut response = error_response(self.status(), self.code(), self.to_string());
        match &self {
            Self::Unavailable(cause) => {
                log_chain("webhook answered 503: the store did not answer", cause);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
            }
            Self::Unauthorized => {
                tracing::warn!("webhook refused: missing or wrong token");
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            other => tracing::warn!(code = other.code(), "webhook refused: {other}"),
        }
        response
    }
}
