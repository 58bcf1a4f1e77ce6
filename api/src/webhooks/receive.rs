//! The handler of `POST /webhooks/mobiniti/{kind}`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use chrono::Utc;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Serialize;
use uuid::Uuid;

use super::payload::{self, PayloadError};
use super::{WebhookError, WebhookKind, dedupe};
use crate::AppState;
use crate::store::{NewEvent, Quarantined};

/// The answer to an accepted delivery.
#[derive(Debug, Serialize)]
pub struct Receipt {
    pub event_id: Uuid,
    pub position: i64,
    pub duplicate: bool,
}

pub async fn receive(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Receipt>, WebhookError> {
    let kind = WebhookKind::from_name(&kind).ok_or(WebhookError::UnknownKind(kind))?;
    if !state.webhook_tokens.admits(query.as_deref(), &headers) {
        return Err(WebhookError::Unauthorized);
    }
    let raw = read_body(body, &headers, state.webhook_body_limit).await?;
    let received_at = Utc::now();

    let parsed = payload::read_json(&raw).and_then(|json| {
        let data = payload::parse(kind, &json, &state.normalizer)?;
        Ok((json, data))
    });
    let (json, data) = match parsed {
        Ok(parsed) => parsed,
        Err(err) => {
            let refusal = match err {
                PayloadError::NotJson(message) => WebhookError::InvalidJson(message),
                PayloadError::Invalid(message) => WebhookError::InvalidPayload {
                    kind: kind.as_str(),
                    message,
                },
            };
            state
                .store
                .quarantine(Quarantined {
                    kind,
                    received_at,
                    content_type: content_type(&headers),
                    raw_body: raw,
                    error_code: refusal.code(),
                    error_message: refusal.to_string(),
                })
                .await?;
            return Err(refusal);
        }
    };

    let event = NewEvent {
        id: Uuid::now_v7(),
        kind,
        dedupe_key: dedupe::key(kind, &json, data.natural_key().as_deref()),
        received_at,
        raw_body: raw,
        payload: json,
        data,
    };
    let outcome = state.commits.append(event).await?;
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

/// Reads the whole body, refusing (never truncating) one over `limit` bytes.
async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Vec<u8>, WebhookError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(WebhookError::TooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes().to_vec()),
        Err(err) if err.is::<LengthLimitError>() => Err(WebhookError::TooLarge { limit }),
        Err(err) => Err(WebhookError::BodyUnreadable(err.to_string())),
    }
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}
