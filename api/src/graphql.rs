//! The GraphQL API: `POST/GET /graphql`, queries over the projections and the event log.
//!
//! Output types live in [`types`] and convert from the storage models; resolvers call the store,
//! never sea-orm. Nested lists go through the batched loaders of [`loaders`]. The HTTP side
//! follows the GraphQL-over-HTTP specification ([`http`]); subscriptions (and queries) also run
//! over WebSocket ([`ws`]) and, for clients that cannot use WebSockets, over Server-Sent Events
//! at `/graphql/stream` ([`sse`]); both run them as [`live`] operations, under the same limits. Each transport counts its operations and live subscribers
//! into [`measure`], which `/metrics` reads.

pub mod auth;
mod cache;
mod connection;
mod documents;
pub mod errors;
mod extension;
mod graphiql;
mod http;
pub mod live;
mod loaders;
pub mod measure;
pub mod persisted;
mod prefetch;
mod query;
mod scalars;
mod sse;
pub(crate) mod subscription;
mod types;
pub mod ws;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{Context, EmptyMutation, Schema};
use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;

pub use auth::{ApiKey, ApiKeys, Scope};
pub use cache::AnswerCache;
pub use documents::Documents;
pub use http::Limits;
pub(crate) use http::{failed_before_execution, operation, operation_type};
pub use live::Live;
pub use measure::OperationMetrics;
pub use persisted::Persisted;
pub use query::Query;
pub use subscription::Subscription;
pub use ws::WebSockets;

use crate::domain::payload::Normalizer;
use crate::store::Store;
use crate::stream::Hub;
use loaders::StoreLoader;

pub type ApiSchema = Schema<Query, EmptyMutation, Subscription>;

/// What every resolver can reach.
#[derive(Debug, Clone)]
pub struct ResolverData {
    pub store: Store,
    pub normalizer: Normalizer,
    pub hub: Hub,
}

/// Builds the schema; `state` is `None` only to print the SDL.
pub fn schema(state: Option<ResolverData>, limits: &Limits) -> ApiSchema {
    let mut builder = Schema::build(Query, EmptyMutation, Subscription)
        .extension(extension::SpecRules)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(limits.max_depth.max(32));
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    if let Some(state) = state {
        builder = builder.data(state);
    }
    builder.finish()
}

/// The schema in SDL, as `mobiniti-events schema` prints it.
pub fn sdl() -> String {
    schema(None, &Limits::default()).sdl()
}

/// What the GraphQL routes share; the app's state gives it (`FromRef`).
#[derive(Clone)]
pub struct RouteState {
    pub store: Store,
    pub schema: ApiSchema,
    pub api_keys: ApiKeys,
    pub graphql_limits: Limits,
    pub answers: AnswerCache,
    /// Parsed documents, by query text.
    pub documents: Documents,
    /// Documents by hash: the manifest, and those registered.
    pub persisted: Persisted,
    pub live: Live,
    pub websockets: WebSockets,
    pub graphql_metrics: OperationMetrics,
}

impl std::fmt::Debug for RouteState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteState")
            .field("store", &self.store)
            .field("api_keys", &self.api_keys)
            .finish_non_exhaustive()
    }
}

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    RouteState: FromRef<S>,
{
    Router::new()
        .route("/graphql", get(http::get).post(http::post))
        .route("/graphql/ws", get(ws::handler))
        .route("/graphql/stream", get(sse::get).post(sse::post))
        .route("/graphql/assets/{file}", get(graphiql::asset))
}

/// The request's loaders, caching what they read for the request's lifetime only.
type Loader = DataLoader<StoreLoader, HashMapCache>;

/// Per-request data: fresh loaders, so nothing is cached from one request to the next.
///
/// No batching delay: the page-level prefetch hands each nested field's keys over in one
/// `load_many`, so waiting for more keys would only add latency.
fn loaders_for(store: &Store) -> Loader {
    DataLoader::with_cache(
        StoreLoader::new(store.clone()),
        tokio::spawn,
        HashMapCache::default(),
    )
    .delay(std::time::Duration::ZERO)
}

fn state<'a>(ctx: &Context<'a>) -> &'a ResolverData {
    // The schema used to serve always carries its state (see `schema`).
    ctx.data_unchecked::<ResolverData>()
}

fn store<'a>(ctx: &Context<'a>) -> &'a Store {
    &state(ctx).store
}

fn loader<'a>(ctx: &Context<'a>) -> &'a Loader {
    ctx.data_unchecked::<Loader>()
}
