//! The state the routes share, built once from the configuration and an open store, and the
//! slice of it each edge reads (`FromRef`): the edges never import it, so they depend on
//! nothing above them (`tests/e2e/architecture.rs`).

use std::sync::Arc;

use anyhow::Context;
use axum::extract::FromRef;
use axum::http::Request;
use tokio::sync::watch;

use crate::config::Config;
use crate::domain::payload::Normalizer;
use crate::store::Store;
use crate::webhooks::WebhookTokens;
use crate::{auth_guard, derivation, graphql, health, metrics, origins, store, stream, webhooks};

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
    pub documents: graphql::Documents,
    pub persisted: graphql::Persisted,
    /// WebSocket connections and SSE streams: their shared limits and executions.
    pub live: graphql::Live,
    pub websockets: graphql::WebSockets,
    pub auth_guard: auth_guard::AuthGuard,
    /// Which pages may reach the GraphQL API (`Host` and `Origin`).
    pub origins: origins::Origins,
    pub metrics: metrics::Metrics,
    /// GraphQL operations and live subscribers, counted by each transport for `/metrics`.
    pub graphql_metrics: graphql::OperationMetrics,
    /// How long a request body may stall (`--request-body-timeout`).
    pub request_body_timeout: std::time::Duration,
    /// Turns true when the service begins to stop: upgraded connections, which graceful
    /// shutdown does not wait for, close themselves on it (1001).
    pub closing: watch::Sender<bool>,
}

impl AppState {
    /// Everything the routes share, over `store` (open and migrated): the derivation settings
    /// settled with it, the webhook tokens in force, the group commit and the follower of the
    /// log started. The same for the binary and for a test that serves the router itself.
    pub async fn build(config: &Config, store: Store) -> anyhow::Result<Self> {
        let normalizer = derivation::in_force(&config.derivation_given(), &store)
            .await?
            .for_new_events()?
            .normalizer();
        let webhook_tokens = WebhookTokens::in_force(&config.webhook_token, &store).await?;
        let graphql_limits = config.graphql_limits();
        // Half the read pool at most for subscribers catching up; the rest stays for queries.
        let readers = (config.store_max_connections / 2).max(1) as usize;
        let hub = stream::Hub::start(store.clone(), readers)
            .await
            .context("reading the log's head")?;
        let schema = graphql::schema(
            Some(graphql::ResolverData {
                store: store.clone(),
                normalizer: normalizer.clone(),
                hub: hub.clone(),
            }),
            &graphql_limits,
        );
        let (closing, _) = watch::channel(false);
        Ok(Self {
            commits: store::GroupCommit::start(store.clone(), config.batch_settings()),
            store,
            webhook_tokens,
            webhook_body_limit: config.webhook_body_limit,
            normalizer,
            schema,
            api_keys: graphql::ApiKeys::new(config.api_keys.clone()),
            graphql_limits,
            answers: graphql::AnswerCache::new(
                config.graphql_cache_mib.saturating_mul(1024 * 1024),
            ),
            documents: graphql::Documents::default(),
            persisted: config.persisted_documents()?,
            live: graphql::Live::new(config.live_settings(), closing.subscribe(), hub),
            websockets: graphql::WebSockets::new(config.ws_settings()),
            auth_guard: auth_guard::AuthGuard::new(config.guard_settings()),
            origins: config.origins(),
            metrics: metrics::Metrics::default(),
            graphql_metrics: graphql::OperationMetrics::default(),
            request_body_timeout: config.request_body_timeout,
            closing,
        })
    }
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
            live: state.live.clone(),
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
            documents: state.documents.clone(),
            persisted: state.persisted.clone(),
            live: state.live.clone(),
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
