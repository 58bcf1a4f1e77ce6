//! The state the routes share, and the slice of it each edge reads (`FromRef`): the edges
//! never import it, so they depend on nothing above them (`tests/e2e/architecture.rs`).

use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::Request;

use crate::domain::payload::Normalizer;
use crate::store::Store;
use crate::webhooks::WebhookTokens;
use crate::{auth_guard, graphql, health, metrics, origins, store, webhooks};

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// The appends of webhooks, batched into shared transactions.
    pub commits: store::GroupCommit,
    pub webhook_tokens: WebhookTokens,
    pub webhook_body_limit: usize,
    pub normalizer: Normalizer,
    pub schema: graphql::ApiSchema,
    pub api_keys: graphql::ApiKeys,
    pub graphql_limits: graphql::Limits,
    pub answers: graphql::AnswerCache,
    pub websockets: graphql::WebSockets,
    pub auth_guard: auth_guard::AuthGuard,
    /// Which pages may reach the GraphQL API (`Host` and `Origin`).
    pub origins: origins::Origins,
    pub metrics: metrics::Metrics,
    /// GraphQL operations and live subscribers, counted by each transport for `/metrics`.
    pub graphql_metrics: graphql::OperationMetrics,
    /// How long a request body may stall (`--request-body-timeout`).
    pub request_body_timeout: std::time::Duration,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("webhook_tokens", &self.webhook_tokens)
            .field("api_keys", &self.api_keys)
            .finish_non_exhaustive()
    }
}

impl FromRef<AppState> for health::Readiness {
    fn from_ref(state: &AppState) -> Self {
        Self {
            store: state.store.clone(),
            commits: state.commits.clone(),
        }
    }
}

impl FromRef<AppState> for metrics::Sources {
    fn from_ref(state: &AppState) -> Self {
        Self {
            metrics: state.metrics.clone(),
            commits: state.commits.clone(),
            graphql: state.graphql_metrics.clone(),
            store: state.store.clone(),
            websockets: state.websockets.clone(),
            auth_guard: state.auth_guard.clone(),
        }
    }
}

impl FromRef<AppState> for graphql::RouteState {
    fn from_ref(state: &AppState) -> Self {
        Self {
            store: state.store.clone(),
            schema: state.schema.clone(),
            api_keys: state.api_keys.clone(),
            graphql_limits: state.graphql_limits.clone(),
            answers: state.answers.clone(),
            websockets: state.websockets.clone(),
            graphql_metrics: state.graphql_metrics.clone(),
        }
    }
}

impl FromRef<AppState> for webhooks::RouteState {
    fn from_ref(state: &AppState) -> Self {
        Self {
            commits: state.commits.clone(),
            store: state.store.clone(),
            metrics: state.metrics.clone(),
            normalizer: state.normalizer.clone(),
            webhook_body_limit: state.webhook_body_limit,
            webhook_tokens: state.webhook_tokens.clone(),
        }
    }
}

impl AppState {
    /// The limiter's state: it lets the credentials the routes accept through.
    pub(crate) fn guard_state(&self) -> auth_guard::GuardState {
        auth_guard::GuardState {
            guard: self.auth_guard.clone(),
            credentials: Arc::new(Credentials {
                webhook_tokens: self.webhook_tokens.clone(),
                api_keys: self.api_keys.clone(),
            }),
        }
    }
}

/// The credentials the routes accept, for the limiter to let through.
struct Credentials {
    webhook_tokens: WebhookTokens,
    api_keys: graphql::ApiKeys,
}

impl auth_guard::Credentials for Credentials {
    fn admits(&self, surface: auth_guard::Surface, request: &Request<axum::body::Body>) -> bool {
        match surface {
            auth_guard::Surface::Webhook => self
                .webhook_tokens
                .admits(request.uri().query(), request.headers()),
            auth_guard::Surface::GraphQl => {
                self.api_keys.scope_of_headers(request.headers()).is_ok()
            }
        }
    }
}
