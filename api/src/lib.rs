//! mobiniti-events: receives Mobiniti's webhooks, keeps every one as an event in a relational
//! store, and serves them.
//!
//! # Layout
//!
//! The modules are layers, each importing only from its own and those below it (the order
//! `tests/e2e/architecture.rs` checks, with the few imports that still break it listed there):
//!
//! 0. [`domain`]: Mobiniti's model: the kinds, lenient JSON, one payload module per kind
//!    ([`domain::payload`]), phone numbers to E.164 ([`domain::phone`]), categories, dedupe keys,
//!    and the step from a raw body to an event ([`domain::event`]). No HTTP, SQL or GraphQL.
//! 1. [`store`]: the event log ([`store::Store::append`]), the projections derived from it, the
//!    quarantine, and `rebuild`.
//! 2. [`stream`]: the log followed live, for subscriptions.
//! 3. The edges and what stands in front of them: [`webhooks`] (`POST /webhooks/mobiniti/{kind}`:
//!    token, body cap, the answers, the OpenAPI document), [`graphql`] (over HTTP, WebSocket and
//!    Server-Sent Events), [`dashboard`], [`health`], [`metrics`]; [`auth_guard`] (failed
//!    authentications, limited), [`origins`] (which web pages may reach the GraphQL API);
//!    [`error`] (the HTTP error body, and [`error::ErrorCode`], every code in both spellings);
//!    [`derivation`], the settings that decide what is derived, kept in the store.
//! 4. The app: [`config`] (the flags, also read from the environment), the routes' shared
//!    [`AppState`], [`app`] and [`run`], the server under them (`serve`), [`setup`].
//! 5. The commands: [`cli`] (the command line), [`simulate`] (realistic traffic for a running
//!    service), and `rebuild`, `quarantine_replay`, `settings`, the commands of those names.
//!
//! [`app`] builds the router from a state; [`run`] serves it on a listener until a shutdown
//! signal, which is what the binary and the tests both start.

pub mod auth_guard;
mod body;
pub mod cli;
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
mod quarantine_replay;
mod rebuild;
mod serve;
mod settings;
pub mod setup;
pub mod simulate;
mod state;
pub mod store;
pub mod stream;
pub mod webhooks;

use std::future::Future;
use std::io::Write;

use anyhow::Context;
use axum::Router;
use axum::extract::FromRef;
use axum::http::Request;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceBuilder;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

pub use quarantine_replay::replay_quarantine;
pub use rebuild::rebuild;
pub use settings::{change_settings, show_settings};
pub use state::AppState;

use config::Config;
use store::Store;
use webhooks::{WebhookToken, WebhookTokens};

/// The whole HTTP interface.
pub fn app(state: AppState) -> Router {
    let graphql = graphql::router().route_layer(axum::middleware::from_fn_with_state(
        state.origins.clone(),
        origins::guard,
    ));
    let guarded =
        webhooks::router()
            .merge(graphql)
            .route_layer(axum::middleware::from_fn_with_state(
                state.guard_state(),
                auth_guard::guard,
            ));
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

/// Opens and migrates the store, settles the derivation settings with it, prints the webhook
/// URLs, and serves on `listener` until `shutdown` resolves; requests in flight then finish
/// before it returns. With `--metrics-listen`, `/metrics` is served on a listener of its own,
/// bound here, and stops with the main one.
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
    let store = open_store(&config).await?;
    let normalizer = derivation::in_force(&config.derivation_given(), &store)
        .await?
        .for_new_events()?
        .normalizer();
    let _checkpoints = store.start_checkpoints();
    let (tokens, generated) = webhook_tokens(&config, &store).await?;
    let address = listener
        .local_addr()
        .context("reading the listen address")?;
    let metrics_address = match &metrics_listener {
        Some(listener) => listener
            .local_addr()
            .context("reading the metrics listen address")?,
        None => address,
    };
    let base_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));

    {
        let mut out = std::io::stdout().lock();
        let printed = writeln!(out, "mobiniti-events is listening on http://{address}")
            .and_then(|()| {
                setup::write_entry_points(
                    &mut out,
                    &format!("http://{address}"),
                    &format!("http://{metrics_address}"),
                )
            })
            .and_then(|()| setup::write_webhook_urls(&mut out, &base_url, &tokens[0], generated))
            .and_then(|()| out.flush());
        // A closed standard output (a supervisor that stopped reading) is no reason not to serve.
        if let Err(err) = printed {
            tracing::warn!(error = %err, "the webhook URLs could not be printed; `mobiniti-events urls` prints them");
        }
    }

    let graphql_limits = config.graphql_limits();
    // Half the read pool at most for subscribers catching up; the rest stays for queries.
    let readers = (config.store_max_connections / 2).max(1) as usize;
    let hub = stream::Hub::start(store.clone(), readers)
        .await
        .context("reading the log's head")?;
    let schema = graphql::schema(
        Some(graphql::ApiState {
            store: store.clone(),
            normalizer: normalizer.clone(),
            hub: hub.clone(),
        }),
        &graphql_limits,
    );
    let (close_websockets, closing) = watch::channel(false);
    let mut metrics_closing = closing.clone();
    let metrics = metrics::Metrics::default();
    let state = AppState {
        commits: store::GroupCommit::start(store.clone(), config.batch_settings()),
        store,
        webhook_tokens: WebhookTokens::new(&tokens),
        webhook_body_limit: config.webhook_body_limit,
        normalizer,
        schema,
        api_keys: graphql::ApiKeys::new(config.api_keys.clone()),
        graphql_limits,
        answers: graphql::AnswerCache::new(config.graphql_cache_mib.saturating_mul(1024 * 1024)),
        websockets: graphql::WebSockets::new(config.ws_settings(), closing, hub),
        auth_guard: auth_guard::AuthGuard::new(config.guard_settings()),
        origins: config.origins(),
        metrics,
        graphql_metrics: graphql::OperationMetrics::default(),
        request_body_timeout: config.request_body_timeout,
    };
    // Graceful shutdown does not wait for upgraded connections: each closes itself (1001) on this.
    let (stopping, stopped) = tokio::sync::oneshot::channel();
    let shutdown = async move {
        shutdown.await;
        close_websockets.send_replace(true);
        let _ = stopping.send(());
    };
    let deadline = config.shutdown_timeout;
    tracing::info!(%address, metrics = %metrics_address, "serving");
    let (main_app, scrape) = match metrics_listener {
        Some(metrics_listener) => (
            metrics::without_scrape(app(state.clone())),
            Some((
                metrics_listener,
                metrics::scrape_only(metrics::Sources::from_ref(&state)),
            )),
        ),
        None => (app(state), None),
    };
    let header_timeout = config.request_header_timeout;
    let serving = serve::serve(listener, main_app, header_timeout, shutdown);
    // Stopped by the same signal as the main listener, and waited for with it.
    let scraping = async move {
        let Some((metrics_listener, scrape)) = scrape else {
            return;
        };
        let stopping = async move {
            // An error means the sender is gone, that is, the service is stopping.
            let _ = metrics_closing.wait_for(|closed| *closed).await;
        };
        serve::serve(metrics_listener, scrape, header_timeout, stopping).await;
    };
    // A client that stopped reading can hold graceful shutdown for as long as TCP lets it.
    let overdue = async move {
        if stopped.await.is_ok() {
            tokio::time::sleep(deadline).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        ((), ()) = async { tokio::join!(serving, scraping) } => {}
        () = overdue => tracing::warn!(
            ?deadline,
            "connections still open after --shutdown-timeout; closing them"
        ),
    }
    tracing::info!("stopped");
    Ok(())
}

/// `mobiniti-events urls`: the webhook URLs for `--public-url` (else the listen address).
pub async fn print_webhook_urls(config: &Config) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    let (tokens, generated) = webhook_tokens(config, &store).await?;
    let base_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.listen));
    let mut out = std::io::stdout().lock();
    setup::write_webhook_urls(&mut out, &base_url, &tokens[0], generated)
        .and_then(|()| out.flush())
        .context("printing the webhook URLs")?;
    if config.public_url.is_none() {
        eprintln!(
            "These URLs use the listen address; Mobiniti needs the public one: \
             mobiniti-events urls --public-url https://your-host"
        );
    }
    Ok(())
}

/// Connects to the store and applies pending migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.store_options()).await?;
    store.migrate().await?;
    Ok(store)
}

/// The tokens in force, and whether one was generated now: the configured ones, or else the
/// one kept in the store (generated on first start).
async fn webhook_tokens(
    config: &Config,
    store: &Store,
) -> anyhow::Result<(Vec<WebhookToken>, bool)> {
    if !config.webhook_token.is_empty() {
        return Ok((config.webhook_token.clone(), false));
    }
    let candidate = WebhookToken::generate();
    let (stored, generated) = store
        .webhook_token_or_insert(candidate.expose())
        .await
        .context("reading the webhook token from the store")?;
    let token = stored
        .parse::<WebhookToken>()
        .map_err(anyhow::Error::msg)
        .context("the webhook token kept in the store is malformed")?;
    Ok((vec![token], generated))
}
