//! Failed authentications, counted, and limited per client address.
//!
//! Every request answered 401 (a wrong or missing webhook token, a wrong or missing API key),
//! every WebSocket `connection_init` refused with 4403, and every WebSocket closed with 4408
//! because its `connection_init` never came ([`LateFailure`]), counts against the address it
//! came from (an IPv6 /64 is one address: [`limiter::Client`]). Once an address has
//! `--auth-failure-limit` failures in `--auth-failure-window`, for the rest of that window
//! its requests that carry a wrong or missing credential are answered 429, with `Retry-After`,
//! before the handler runs (no body read, no store touched), and no longer counted. Its
//! requests with a valid credential are served as usual: Mobiniti sends from shared addresses,
//! and another account pointing its webhooks here with a wrong token must not stop our
//! deliveries. So a guess past the limit is still answered, 429 if wrong: what keeps tokens and
//! keys from being guessed is their length (16 characters at least, a generated token 256 bits),
//! not the limit. The limit keeps failing attempts cheap: past it they are refused before any
//! work beyond one digest comparison, which is how the route checks them, here done early; below
//! it, only the route checks them. Failing attempts are not delayed: a delay would hold a
//! connection and a task here per attempt, which costs this service more than a guesser sending
//! in parallel.
//!
//! A WebSocket's key is checked here only if the upgrade carries it: one that would send it in
//! `connection_init` alone is answered 429 from a limited address, since letting it through
//! would give a guesser a `connection_init` per upgrade, unlimited. Requests from other
//! addresses are not affected. Behind a proxy every client shares the proxy's address; with
//! `--trust-forwarded-for` the address is the last one in `X-Forwarded-For`, the one the proxy
//! itself added.
//!
//! Only the routes that check a credential are limited: the webhooks, and GraphQL over HTTP,
//! WebSocket and Server-Sent Events (GraphiQL's page is `GET /graphql`, so it is limited with
//! it). `app()` puts this middleware in front of the webhook and GraphQL routers only, and
//! [`PUBLIC`] lets their two public documents through. Health checks, `/metrics` and the
//! dashboard's files never reach it: refusing what needs no credential tells a guesser nothing,
//! and would take an instance out of a load balancer, or break a page, for whoever shares the
//! guesser's address. README, "Access", has the table of routes.

mod limiter;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{ErrorCode, error_response};
use crate::logging::Throttle;
pub use limiter::Client;
use limiter::{CAPACITY, Failures};

/// The routes behind this middleware that check no credential, passed through unlimited: the
/// webhook route's OpenAPI document and GraphiQL's files, the same for everyone.
const PUBLIC: [&str; 2] = ["/openapi.json", "/graphql/assets/{file}"];

/// The 429s of a flood would be a line each.
static REFUSALS_LOGGED: Throttle = Throttle::new();

/// The code of a request answered 429 here.
const CODE: ErrorCode = ErrorCode::TooManyFailedAuthentications;

/// `error.code` of a webhook answered 429 here.
pub const WEBHOOK_CODE: &str = CODE.snake();

/// `extensions.code` of a GraphQL request answered 429 here.
pub const GRAPHQL_CODE: &str = CODE.screaming();

#[derive(Debug, Clone, Copy)]
pub struct GuardSettings {
    /// Failures an address may have in a window; 0 turns the limit off (failures still count).
    pub limit: u32,
    pub window: Duration,
    pub trust_forwarded_for: bool,
}

/// Where a request failed to authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Webhook,
    GraphQl,
}

impl Surface {
    fn of(path: &str) -> Self {
        if path.starts_with("/webhooks/") {
            Self::Webhook
        } else {
            Self::GraphQl
        }
    }
}

/// Shared by every request; cheap to clone.
#[derive(Debug, Clone)]
pub struct AuthGuard(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    settings: GuardSettings,
    failures: Mutex<Failures>,
    webhook_failures: AtomicU64,
    graphql_failures: AtomicU64,
    limited: AtomicU64,
}

impl AuthGuard {
    pub fn new(settings: GuardSettings) -> Self {
        Self(Arc::new(Inner {
            settings,
            failures: Mutex::new(Failures::new(CAPACITY, settings.window)),
            webhook_failures: AtomicU64::new(0),
            graphql_failures: AtomicU64::new(0),
            limited: AtomicU64::new(0),
        }))
    }

    /// Failed authentications so far on `surface`, for `/metrics`.
    pub fn failures(&self, surface: Surface) -> u64 {
        match surface {
            Surface::Webhook => self.0.webhook_failures.load(Ordering::Relaxed),
            Surface::GraphQl => self.0.graphql_failures.load(Ordering::Relaxed),
        }
    }

    /// Requests answered 429 so far, for `/metrics`.
    pub fn limited(&self) -> u64 {
        self.0.limited.load(Ordering::Relaxed)
    }

    fn failures_by_client(&self) -> std::sync::MutexGuard<'_, Failures> {
        self.0
            .failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// How long `client` must wait, if it is over the limit now.
    fn wait_for(&self, client: Client) -> Option<Duration> {
        let limit = self.0.settings.limit;
        if limit == 0 {
            return None;
        }
        self.failures_by_client()
            .wait(client, limit, Instant::now())
    }

    fn failed(&self, client: Option<Client>, surface: Surface) {
        match surface {
            Surface::Webhook => &self.0.webhook_failures,
            Surface::GraphQl => &self.0.graphql_failures,
        }
        .fetch_add(1, Ordering::Relaxed);
        if self.0.settings.limit == 0 {
            return;
        }
        if let Some(client) = client {
            let mut failures = self.failures_by_client();
            // Read under the lock, so that windows start in the order they are queued.
            failures.fail(client, Instant::now());
        }
    }

    /// The address a request counts against.
    fn client_of(&self, request: &Request) -> Option<Client> {
        if self.0.settings.trust_forwarded_for
            && let Some(forwarded) = last_forwarded_for(request.headers())
        {
            return Some(Client::of(forwarded));
        }
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| Client::of(peer.ip()))
    }
}

fn last_forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let value = headers.get_all("x-forwarded-for").iter().next_back()?;
    value.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}

/// A failed authentication that the answer's status cannot show: a WebSocket's
/// `connection_init` refused (4403), or never sent (4408), after its upgrade was answered 101.
/// The middleware hands one to every request it guards; the connection reports through it.
#[derive(Debug, Clone)]
pub struct LateFailure {
    guard: AuthGuard,
    client: Option<Client>,
}

impl LateFailure {
    pub fn report(&self) {
        self.guard.failed(self.client, Surface::GraphQl);
    }

    /// The address the request counts against (`None` without a peer address, as in tests
    /// that call the router directly).
    pub fn client(&self) -> Option<Client> {
        self.client
    }
}

/// Whether a request carries a credential its route would accept, checked as the route checks
/// it. The routes hold the tokens and keys, and report their failures here, so the app answers
/// this for them.
pub trait Credentials: Send + Sync + 'static {
    fn admits(&self, surface: Surface, request: &Request) -> bool;
}

/// The middleware's state: the limiter, and who tells a valid credential.
#[derive(Clone)]
pub struct GuardState {
    pub guard: AuthGuard,
    pub credentials: Arc<dyn Credentials>,
}

impl std::fmt::Debug for GuardState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardState")
            .field("guard", &self.guard)
            .finish_non_exhaustive()
    }
}

/// The middleware in front of the webhooks and the GraphQL API.
pub async fn guard(State(state): State<GuardState>, mut request: Request, next: Next) -> Response {
    let public = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|route| PUBLIC.contains(&route.as_str()));
    if public {
        return next.run(request).await;
    }
    let guard = &state.guard;
    let client = guard.client_of(&request);
    let surface = Surface::of(request.uri().path());
    request.extensions_mut().insert(LateFailure {
        guard: guard.clone(),
        client,
    });
    if let Some(client) = client
        && let Some(wait) = guard.wait_for(client)
        && !state.credentials.admits(surface, &request)
    {
        guard.0.limited.fetch_add(1, Ordering::Relaxed);
        if let Some(held_back) = REFUSALS_LOGGED.allow() {
            tracing::warn!(
                %client,
                held_back,
                "too many failed authentications; a failing attempt answered 429 (one such line \
                 per 10 s; held_back counts those not written)"
            );
        }
        return too_many(surface, wait);
    }
    let response = next.run(request).await;
    if response.status() == StatusCode::UNAUTHORIZED {
        guard.failed(client, surface);
    }
    response
}

fn too_many(surface: Surface, wait: Duration) -> Response {
    let seconds = wait.as_secs().max(1);
    let message = format!(
        "too many failed authentications from this address; a wrong or missing token or key is \
         refused for {seconds} s more, the right one is served"
    );
    let mut response = match surface {
        Surface::Webhook => error_response(StatusCode::TOO_MANY_REQUESTS, CODE, message),
        Surface::GraphQl => (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({ "errors": [{
                "message": message,
                "extensions": { "code": GRAPHQL_CODE },
            }] })),
        )
            .into_response(),
    };
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}
