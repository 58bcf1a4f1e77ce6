//! The live dashboard: `GET /` and its files at `GET /dashboard/{file}`.
//!
//! The page is plain HTML, CSS and JavaScript modules kept in `api/assets/dashboard/` and
//! embedded at compile time: no CDN, no build step. It reads everything through the public
//! GraphQL API (HTTP for queries, WebSocket for subscriptions), with the visitor's API key, so
//! the files themselves are public and carry no data.

use std::str::FromStr;
use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::{ErrorCode, error_response};
use crate::transfer;

const HTML: &str = "text/html; charset=utf-8";
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// One embedded file: its name, its media type and its bytes.
macro_rules! embedded {
    ($name:literal, $content_type:expr) => {
        (
            $name,
            $content_type,
            include_bytes!(concat!("../assets/dashboard/", $name)),
        )
    };
}

/// The page's files by the name in their URL.
const FILES: [(&str, &str, &[u8]); 10] = [
    embedded!("index.html", HTML),
    embedded!("dashboard.css", CSS),
    embedded!("icon.svg", SVG),
    embedded!("dashboard.js", JAVASCRIPT),
    embedded!("api.js", JAVASCRIPT),
    embedded!("key.js", JAVASCRIPT),
    embedded!("live.js", JAVASCRIPT),
    embedded!("chart.js", JAVASCRIPT),
    embedded!("views.js", JAVASCRIPT),
    embedded!("dom.js", JAVASCRIPT),
];

/// Each file's entity tag, from its content: the browser revalidates every load (`no-cache`)
/// and an unchanged file costs a 304, while a new binary's files are never served stale.
static TAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(_, _, body)| transfer::content_tag(body))
        .collect()
});

/// The page and its files; they need no state, so they fit any router's.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(page))
        .route("/dashboard/{file}", get(asset))
        .layer(transfer::compression())
}

async fn page(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    serve(&file, &headers)
}

fn serve(name: &str, request: &HeaderMap) -> Response {
    let Some(index) = FILES.iter().position(|(file, ..)| *file == name) else {
        return error_response(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("there is no dashboard file named `{name}`"),
        );
    };
    let (_, content_type, body) = FILES[index];
    let tag = TAGS.get(index).cloned();
    let policy = content_security_policy(request);
    let unchanged = tag
        .as_ref()
        .is_some_and(|tag| transfer::fresh(request, tag));
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(tag) = tag {
        headers.insert(header::ETAG, tag);
    }
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// Nothing but this origin: no inline script or style, no other host for any fetch, and the
/// WebSocket only to this host. The host comes from the request (the page cannot know the name
/// it is reached by); one that is not a plain authority leaves just `'self'`, which current
/// browsers also apply to `ws:`/`wss:` of the same host.
fn content_security_policy(request: &HeaderMap) -> HeaderValue {
    const BASE: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
        img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; \
        connect-src 'self'";
    let host = request
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .and_then(|host| Authority::from_str(host).ok())
        .filter(|authority| !authority.as_str().contains('@'));
    let policy = match host {
        Some(host) => format!("{BASE} ws://{host} wss://{host}"),
        None => BASE.to_owned(),
    };
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static(BASE))
}
