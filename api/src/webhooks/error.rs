//! How a webhook delivery can fail, and the status each failure answers.
//!
//! The answer says what was wrong, quoting the value where that helps the sender (it sent it).
//! The log line says which code, kind and field, and why in words of our own, never the value:
//! payloads hold phone numbers, names and texts (README, "Logs").

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::domain::kind::WebhookKind;
use crate::domain::payload::{Invalid, PayloadError};
use crate::error::{ErrorCode, error_response, log_chain};
use crate::logging::Throttle;
use crate::store::StoreError;

static UNAUTHORIZED_LOGGED: Throttle = Throttle::new();
static UNKNOWN_KIND_LOGGED: Throttle = Throttle::new();

/// Seconds a sender is asked to wait before retrying a delivery that may pass on a retry.
const RETRY_AFTER_SECONDS: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// 404: the path names no Mobiniti webhook.
    #[error("no webhook `{0}`; the kinds are {kinds}", kinds = WebhookKind::all_in_words())]
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
    /// 503: the body stalled past `--request-body-timeout` or broke off; nothing was stored.
    /// Not a 400, which tells a sender not to retry: Mobiniti documents no retry policy, and a
    /// 5xx is what webhook senders retry (many retry no 4xx at all), as they do the store's 503.
    #[error(
        "the body could not be read ({0}); nothing was stored: send the delivery again (a body \
         that sends nothing for --request-body-timeout is given up)"
    )]
    BodyUnreadable(String),
    /// 400: not JSON; kept in quarantine.
    #[error("the body is not JSON ({message}); the delivery is kept in quarantine")]
    InvalidJson { kind: &'static str, message: String },
    /// 422: JSON of the wrong shape for the kind; kept in quarantine.
    #[error("the {kind} payload is not valid: {invalid}; the delivery is kept in quarantine")]
    InvalidPayload {
        kind: &'static str,
        invalid: Invalid,
    },
    /// 422: valid for its kind, but the store refused to keep it (a retry would get the same
    /// answer); kept in quarantine with the store's reason.
    #[error("the store cannot keep this delivery ({reason}); it is kept in quarantine")]
    StoreRefused { kind: &'static str, reason: String },
    /// 503: the store did not answer; the sender must retry.
    #[error("the event store is unavailable; retry later")]
    Unavailable(#[from] StoreError),
}

impl WebhookError {
    /// Every status and `error.code` a delivery can be refused with, as the README's table of
    /// the webhook route lists them (`tests/e2e/readme_codes.rs` compares the two). The route
    /// also answers 429 from [`crate::auth_guard`].
    pub const ALL: [(StatusCode, &'static str); 7] = [
        (StatusCode::BAD_REQUEST, ErrorCode::InvalidJson.snake()),
        (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized.snake()),
        (StatusCode::NOT_FOUND, ErrorCode::UnknownWebhook.snake()),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge.snake(),
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidPayload.snake(),
        ),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::StoreUnavailable.snake(),
        ),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::BodyUnreadable.snake(),
        ),
    ];

    /// The answer to a body that cannot become an event ([`crate::domain::event::Unreadable`]):
    /// 400 when it is not JSON, 422 when it is not a valid payload of its kind. The same at
    /// ingest and on `replay-quarantine`, which keeps the code and the message.
    pub fn unreadable(kind: WebhookKind, reason: PayloadError) -> Self {
        match reason {
            PayloadError::NotJson(message) => Self::InvalidJson {
                kind: kind.as_str(),
                message,
            },
            PayloadError::Invalid(invalid) => Self::InvalidPayload {
                kind: kind.as_str(),
                invalid,
            },
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::UnknownKind(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::InvalidJson { .. } => StatusCode::BAD_REQUEST,
            Self::InvalidPayload { .. } | Self::StoreRefused { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::BodyUnreadable(_) | Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::UnknownKind(_) => ErrorCode::UnknownWebhook,
            Self::Unauthorized => ErrorCode::Unauthorized,
            Self::TooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::BodyUnreadable(_) => ErrorCode::BodyUnreadable,
            Self::InvalidJson { .. } => ErrorCode::InvalidJson,
            Self::InvalidPayload { .. } | Self::StoreRefused { .. } => ErrorCode::InvalidPayload,
            Self::Unavailable(_) => ErrorCode::StoreUnavailable,
        }
    }

    /// Writes the refusal's log line: code, kind and field, never a value from the body.
    fn log(&self) {
        let code = self.code().snake();
        match self {
            Self::Unavailable(cause) => {
                log_chain("webhook answered 503: the store did not answer", cause);
            }
            // Anyone can send these, by the thousand: one line per 10 s of each.
            Self::Unauthorized => {
                if let Some(held_back) = UNAUTHORIZED_LOGGED.allow() {
                    tracing::warn!(
                        code,
                        held_back,
                        "webhook refused: missing or wrong token (one such line per 10 s; \
                         held_back counts those not written)"
                    );
                }
            }
            // The kind is the request's path, which the request's span already carries.
            Self::UnknownKind(_) => {
                if let Some(held_back) = UNKNOWN_KIND_LOGGED.allow() {
                    tracing::warn!(
                        code,
                        held_back,
                        "webhook refused: no such kind (one such line per 10 s; held_back counts \
                         those not written)"
                    );
                }
            }
            Self::TooLarge { limit } => {
                tracing::warn!(code, limit, "webhook refused: the body is over the limit");
            }
            // The cause is the connection's or the timeout's, not the body's.
            Self::BodyUnreadable(cause) => {
                tracing::warn!(
                    code,
                    cause,
                    "webhook answered 503: the body could not be read"
                );
            }
            Self::InvalidJson { kind, .. } => {
                tracing::warn!(code, kind, "webhook refused: not JSON; kept in quarantine");
            }
            Self::InvalidPayload { kind, invalid } => tracing::warn!(
                code,
                kind,
                field = invalid.field,
                reason = invalid.reason,
                "webhook refused: the payload is not valid; kept in quarantine"
            ),
            // The store's message may quote the value it refused (PostgreSQL's does): it stays
            // in the quarantine.
            Self::StoreRefused { kind, .. } => tracing::warn!(
                code,
                kind,
                "webhook refused: the store refused a delivery for its content; kept in quarantine"
            ),
        }
    }
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        self.log();
        let mut response = error_response(self.status(), self.code(), self.to_string());
        match &self {
            Self::Unavailable(_) | Self::BodyUnreadable(_) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
            }
            Self::Unauthorized => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::DbErr;

    use super::*;

    /// One refusal of each variant. The match has no wildcard, so a new variant does not compile
    /// until it is added here, and so checked against [`WebhookError::ALL`].
    fn one_of_each() -> Vec<WebhookError> {
        let every = vec![
            WebhookError::UnknownKind("nope".into()),
            WebhookError::Unauthorized,
            WebhookError::TooLarge { limit: 1 },
            WebhookError::BodyUnreadable("timed out".into()),
            WebhookError::InvalidJson {
                kind: "bounce",
                message: "expected value".into(),
            },
            WebhookError::InvalidPayload {
                kind: "bounce",
                invalid: Invalid::new("id", "empty", "must not be empty"),
            },
            WebhookError::StoreRefused {
                kind: "bounce",
                reason: "too big".into(),
            },
            WebhookError::Unavailable(StoreError::Unavailable(DbErr::Custom("down".into()))),
        ];
        for err in &every {
            match err {
                WebhookError::UnknownKind(_)
                | WebhookError::Unauthorized
                | WebhookError::TooLarge { .. }
                | WebhookError::BodyUnreadable(_)
                | WebhookError::InvalidJson { .. }
                | WebhookError::InvalidPayload { .. }
                | WebhookError::StoreRefused { .. }
                | WebhookError::Unavailable(_) => {}
            }
        }
        every
    }

    #[test]
    fn all_lists_exactly_the_statuses_and_codes_of_the_variants() {
        let mut answered: Vec<_> = one_of_each()
            .iter()
            .map(|err| (err.status(), err.code().snake()))
            .collect();
        answered.sort_unstable();
        answered.dedup();
        let mut listed = WebhookError::ALL.to_vec();
        listed.sort_unstable();
        assert_eq!(answered, listed);
    }
}
