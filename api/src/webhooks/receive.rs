//! The handler of `POST /webhooks/mobiniti/{kind}`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::WebhookError;
use crate::body::{BodyError, DRAIN_BYTES, read_limited};
use crate::domain::event::{self, Unreadable};
use crate::domain::kind::WebhookKind;
use crate::error::ErrorBody;
use crate::metrics::WebhookOutcome;
use crate::store::{AppendError, Quarantined, STORE_REFUSED};
use crate::webhooks::RouteState;

/// The answer to an accepted delivery.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub event_id: Uuid,
    pub position: i64,
    pub duplicate: bool,
}

/// Stores one delivery of a Mobiniti webhook.
#[utoipa::path(
    post,
    path = "/webhooks/mobiniti/{kind}",
    params(
        ("kind" = WebhookKind, Path, description = "which of the six webhooks"),
        ("token" = Option<String>, Query,
            description = "the webhook token, as the URL pasted into Mobiniti carries it; \
                           or send `Authorization: Bearer <token>`"),
    ),
    request_body(
        content = std::collections::HashMap<String, serde_json::Value>,
        content_type = "application/json",
        description = "the payload, as Mobiniti sends it (a trailing comma before `}` is \
                       accepted); each kind's required fields are in the README, and a payload \
                       without them is answered 422"
    ),
    responses(
        (status = 200, body = Receipt,
            description = "stored (or a redelivery of a stored event: `duplicate` is true)"),
        (status = 400, body = ErrorBody,
            description = "`invalid_json`: the body is not JSON; kept in quarantine"),
        (status = 401, body = ErrorBody,
            description = "`unauthorized`: the token is missing or wrong"),
        (status = 404, body = ErrorBody, description = "`unknown_webhook`: no such webhook"),
        (status = 413, body = ErrorBody,
            description = "`payload_too_large`: the body is over `--webhook-body-limit`"),
        (status = 422, body = ErrorBody,
            description = "`invalid_payload`: the payload is not valid for its kind; kept in \
                           quarantine"),
        (status = 429, body = ErrorBody,
            description = "`too_many_failed_authentications`: too many failed authentications \
                           from this address; see `Retry-After`"),
        (status = 503, body = ErrorBody,
            description = "`store_unavailable`: the store did not answer; or `body_unreadable`: \
                           the body stalled or broke off. Nothing was stored: retry after \
                           `Retry-After` seconds"),
    )
)]
pub async fn receive(
    State(state): State<RouteState>,
    Path(kind): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Receipt>, WebhookError> {
    let known = WebhookKind::from_name(&kind);
    let answer = match known {
        Some(kind) => store(&state, kind, query.as_deref(), &headers, body).await,
        None => Err(WebhookError::UnknownKind(kind)),
    };
    state.metrics.webhook(known, outcome(&answer));
    answer
}

fn outcome(answer: &Result<Json<Receipt>, WebhookError>) -> WebhookOutcome {
    match answer {
        Ok(receipt) if receipt.duplicate => WebhookOutcome::Duplicate,
        Ok(_) => WebhookOutcome::Stored,
        Err(WebhookError::UnknownKind(_)) => WebhookOutcome::UnknownKind,
        Err(WebhookError::Unauthorized) => WebhookOutcome::Unauthorized,
        Err(WebhookError::TooLarge { .. }) => WebhookOutcome::TooLarge,
        Err(WebhookError::BodyUnreadable(_)) => WebhookOutcome::Unreadable,
        Err(WebhookError::InvalidJson { .. } | WebhookError::InvalidPayload { .. }) => {
            WebhookOutcome::Quarantined
        }
        Err(WebhookError::StoreRefused { .. }) => WebhookOutcome::RefusedByStore,
        Err(WebhookError::Unavailable(_)) => WebhookOutcome::Unavailable,
    }
}

async fn store(
    state: &RouteState,
    kind: WebhookKind,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Json<Receipt>, WebhookError> {
    if !state.webhook_tokens.admits(query, headers) {
        return Err(WebhookError::Unauthorized);
    }
    let raw = read_body(body, headers, state.webhook_body_limit).await?;
    let received_at = Utc::now();

    let event = match event::from_body(kind, Uuid::now_v7(), received_at, raw, &state.normalizer) {
        Ok(event) => event,
        Err(Unreadable { reason, raw }) => {
            let refusal = WebhookError::unreadable(kind, reason);
            let code = refusal.code().snake();
            let kept = Kept {
                kind,
                received_at,
                headers,
                raw,
            };
            return Err(kept.quarantine(state, code, refusal).await);
        }
    };
    let outcome = match state.commits.append(event).await {
        Ok(outcome) => outcome,
        Err(AppendError::Store(err)) => return Err(err.into()),
        Err(AppendError::Refused { reason, event }) => {
            let refusal = WebhookError::StoreRefused {
                kind: kind.as_str(),
                reason,
            };
            let kept = Kept {
                kind,
                received_at,
                headers,
                raw: event.raw_body,
            };
            return Err(kept.quarantine(state, STORE_REFUSED, refusal).await);
        }
    };
    tracing::info!(
        kind = kind.as_str(),
        position = outcome.position,
        duplicate = outcome.duplicate,
        "webhook stored"
    );
    Ok(Json(Receipt {
        event_id: outcome.event_id,
        position: outcome.position,
        duplicate: outcome.duplicate,
    }))
}

/// A refused delivery, as the quarantine keeps it.
struct Kept<'a> {
    kind: WebhookKind,
    received_at: DateTime<Utc>,
    headers: &'a HeaderMap,
    raw: Vec<u8>,
}

impl Kept<'_> {
    /// Keeps the delivery with the error it is answered with, under `code`, and gives that
    /// error back; or the store's, if it could not be kept (then nothing was, and the sender
    /// retries).
    async fn quarantine(
        self,
        state: &RouteState,
        code: &'static str,
        refusal: WebhookError,
    ) -> WebhookError {
        let kept = state
            .store
            .quarantine(Quarantined {
                kind: self.kind,
                received_at: self.received_at,
                content_type: content_type(self.headers),
                raw_body: self.raw,
                error_code: code,
                error_message: refusal.to_string(),
            })
            .await;
        match kept {
            Ok(_) => refusal,
            Err(err) => err.into(),
        }
    }
}

/// Reads the whole body, refusing (never truncating) one over `limit` bytes.
async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Vec<u8>, WebhookError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    // Too large to be worth reading even to drop it: answered at once.
    if declared.is_some_and(|length| length > DRAIN_BYTES) {
        return Err(WebhookError::TooLarge { limit });
    }
    read_limited(body, limit).await.map_err(|err| match err {
        BodyError::TooLarge => WebhookError::TooLarge { limit },
        BodyError::Unreadable(message) => WebhookError::BodyUnreadable(message),
    })
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}
