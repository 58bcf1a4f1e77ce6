//! mobiniti-events: receives Mobiniti's webhooks, keeps every one as an event in a relational
//! store, and serves them.
//!
//! # Layout
//!
//! The modules are layers, each importing only from its own and those below it (the order
//! `tests/e2e/architecture.rs` checks):
//!
//! 0. [`domain`]: Mobiniti's model: the kinds, lenient JSON, one payload module per kind
//!    ([`domain::payload`]), phone numbers to E.164 ([`domain::phone`]), categories, dedupe keys,
//!    and the step from a raw body to an event ([`domain::event`]), the same at ingest, on
//!    `rebuild` and on `replay-quarantine`. No HTTP, SQL or GraphQL.
//! 1. [`store`]: the event log ([`store::Store::append`]), the projections derived from it and
//!    recomputed by `rebuild`, the quarantine and its replay, the values kept in the store.
//! 2. [`stream`]: the log followed live, for subscriptions.
//! 3. The edges and what stands in front of them: [`webhooks`] (`POST /webhooks/mobiniti/{kind}`:
//!    token, body cap, the answers, the OpenAPI document), [`graphql`] (over HTTP, WebSocket and
//!    Server-Sent Events), [`dashboard`], [`health`], [`metrics`]; [`auth_guard`] (failed
//!    authentications, limited), [`origins`] (which web pages may reach the GraphQL API, and
//!    CORS for them), [`transfer`] (compression, entity tags);
//!    [`error`] (the HTTP error body, and [`error::ErrorCode`], every code in both spellings);
//!    [`derivation`], the settings that decide what is derived, kept in the store.
//! 4. The app: [`config`] (the flags, also read from the environment), the routes' shared
//!    [`AppState`] ([`AppState::build`]), [`app`] (the router over a state), [`serve`] (the
//!    HTTP server under it), [`run`], and [`setup`] (what start-up prints).
//! 5. The commands: [`cli`] (the command line) and [`commands`], one module per command besides
//!    `serve`: `rebuild`, `replay-quarantine`, `settings`, `urls`, `simulate`.
//!
//! [`run`] is what the binary's `serve` starts: the store opened, [`AppState::build`], [`app`],
//! and [`serve::serve`] until a shutdown signal. A test can take the same steps itself.

pub mod auth_guard;
mod body;
pub mod cli;
pub mod commands;
pub mod config;
mod dashboard;
pub mod derivation;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod health;
pub mod logging;
pub mod metrics;
pub mod origins;
pub mod serve;
pub mod setup;
mod state;
pub mod store;
pub mod stream;
pub mod transfer;
pub mod webhooks;

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use axum::extract::FromRef;
use axum::http::Request;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

pub use state::AppState;

use config::Config;
use serve::Listener;
use store::Store;

/// The whole HTTP interface.
pub fn app(state: AppState) -> Router {
    let guard = axum::middleware::from_fn_with_state(state.guard_state(), auth_guard::guard);
    // CORS outermost: a preflight carries no key and is answered before the guards; an answer
    // is compressed before CORS adds its headers.
    let graphql = graphql::router()
        .route_layer(axum::middleware::from_fn_with_state(
            state.origins.clone(),
            origins::guard,
        ))
        .route_layer(guard.clone())
        .layer(transfer::compression())
        .layer(state.origins.cors());
    let guarded = webhooks::router().route_layer(guard).merge(graphql);
    Router::new()
        .merge(guarded)
        .merge(health::router())
        .merge(metrics::router())
        .merge(dashboard::router())
        // A route layer runs once the route is known: the histogram is by route pattern.
        .route_layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::http::record,
        ))
        .with_state(state.clone())
        .layer(
            ServiceBuilder::new()
                .layer(axum::middleware::map_request(logging::screen_request_id))
                .layer(SetRequestIdLayer::new(logging::REQUEST_ID, logging::MakeId))
                // The span names the path only: webhook URLs carry their token in the query string.
                .layer(
                    TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                        tracing::info_span!(
                            "request",
                            method = %request.method(),
                            path = %request.uri().path(),
                            request_id = %logging::request_id_of(request),
                        )
                    }),
                )
                .layer(PropagateRequestIdLayer::new(logging::REQUEST_ID))
                // A stalled body errors in the handler's read, which answers it: 503 on the
                // webhooks, so that the sender retries; 400 on GraphQL.
                .layer(RequestBodyTimeoutLayer::new(state.request_body_timeout)),
        )
}

/// Opens and migrates the store, builds the state, prints the webhook URLs, and serves on
/// `listener` until `shutdown` resolves; requests in flight then finish before it returns, for
/// `--shutdown-timeout` at most. With `--metrics-listen`, `/metrics` is served on a listener of
/// its own, bound here, and stops with the main one.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Bound before the store opens: an address in use is reported before anything is written.
    let metrics_listener = match config.metrics_listen {
        Some(address) => Some(TcpListener::bind(address).await.with_context(|| {
            format!(
                "cannot listen on {address} for /metrics; is another process using it? \
                 (--metrics-listen)"
            )
        })?),
        None => None,
    };
    let state = AppState::build(&config, open_store(&config).await?).await?;
    let _checkpoints = state.store.start_checkpoints();
    let address = local_addr(&listener)?;
    let metrics_address = match &metrics_listener {
        Some(listener) => local_addr(listener)?,
        None => address,
    };
    setup::announce(
        config.public_url.as_deref(),
        address,
        metrics_address,
        &state.webhook_tokens,
    );
    tracing::info!(%address, metrics = %metrics_address, "serving");

    let closing = state.closing.clone();
    let (stopping, stopped) = tokio::sync::oneshot::channel();
    let shutdown = async move {
        shutdown.await;
        closing.send_replace(true);
        let _ = stopping.send(());
    };
    let header_timeout = config.request_header_timeout;
    let serving = async move {
        let listener = Listener::new(listener, header_timeout);
        let Some(metrics_listener) = metrics_listener else {
            return serve::serve(listener, app(state), shutdown).await;
        };
        // Stopped by the same signal as the main listener, and waited for with it.
        let mut closing = state.closing.subscribe();
        let scrape_stopping = async move {
            // An error means the sender is gone, that is, the service is stopping.
            let _ = closing.wait_for(|closed| *closed).await.map(drop);
        };
        let scrape = metrics::scrape_only(metrics::Sources::from_ref(&state));
        tokio::join!(
            serve::serve(listener, metrics::without_scrape(app(state)), shutdown),
            serve::serve(
                Listener::new(metrics_listener, header_timeout),
                scrape,
                scrape_stopping
            ),
        );
    };
    // A client that stopped reading can hold graceful shutdown for as long as TCP lets it.
    let deadline = config.shutdown_timeout;
    let overdue = async move {
        if stopped.await.is_ok() {
            tokio::time::sleep(deadline).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = serving => {}
        () = overdue => tracing::warn!(
            ?deadline,
            "connections still open after --shutdown-timeout; closing them"
        ),
    }
    tracing::info!("stopped");
    Ok(())
}

fn local_addr(listener: &TcpListener) -> anyhow::Result<SocketAddr> {
    listener.local_addr().context("reading the listen address")
}

/// Connects to the store and applies pending migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.store_options()).await?;
    store.migrate().await?;
    Ok(store)
}
