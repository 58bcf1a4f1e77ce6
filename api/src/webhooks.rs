//! The webhook routes: `POST /webhooks/mobiniti/{kind}`, one per Mobiniti webhook.
//!
//! A delivery goes through, in order: the kind in the path (404), the token (401, before the
//! body is read), the body cap (413) and its arrival (503 when it stalls, so that the sender
//! retries), lenient JSON (400) and the kind's payload (422), both kept in quarantine when they
//! fail, and the append (503 when the store does not answer). The answer 200 comes only after
//! the commit. An address with too many 401s is answered 429 before any of this
//! ([`crate::auth_guard`]).

mod auth;
mod error;
mod openapi;
mod receive;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};

pub use auth::{TokenError, WebhookToken, WebhookTokens};
pub use error::WebhookError;
pub use receive::Receipt;

use crate::domain::kind::WebhookKind;
use crate::domain::payload::Normalizer;
use crate::metrics::Metrics;
use crate::store::{GroupCommit, Store};
use crate::transfer;

/// The path of a kind's webhook, relative to the service's base URL.
pub fn path(kind: WebhookKind) -> String {
    format!("/webhooks/mobiniti/{kind}")
}

/// What the webhook route needs; the app's state gives it (`FromRef`).
#[derive(Debug, Clone)]
pub struct RouteState {
    pub commits: GroupCommit,
    /// Where refused deliveries are quarantined.
    pub store: Store,
    pub metrics: Metrics,
    pub normalizer: Normalizer,
    pub webhook_body_limit: usize,
    pub webhook_tokens: WebhookTokens,
}

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    RouteState: FromRef<S>,
{
    Router::new()
        .route("/webhooks/mobiniti/{kind}", post(receive::receive))
        // The document is 30 KB; a webhook's answer is a few bytes and stays as it is.
        .route(
            "/openapi.json",
            get(openapi::document).layer(transfer::compression()),
        )
}
