//! GraphiQL, served by this binary: the page (`GET /graphql` from a browser, see [`super::http`])
//! and its scripts and stylesheet at `GET /graphql/assets/{file}`.
//!
//! The files are vendored in `api/assets/graphiql/` (its README says from which npm packages and
//! how to refresh them) and embedded at compile time, so the page needs no CDN. The page is
//! static: it loads with or without API keys, and the key goes in GraphiQL's headers editor.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{ErrorCode, error_response};
use crate::transfer;

const PAGE: &str = include_str!("../../assets/graphiql/index.html");

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The assets by name in the URL. The page asks for each with its package version in the query
/// string, so a year of caching cannot serve an old file after an upgrade.
const ASSETS: [(&str, &str, &[u8]); 4] = [
    (
        "graphiql.min.js",
        JAVASCRIPT,
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        CSS,
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        JAVASCRIPT,
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        JAVASCRIPT,
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
];

/// Each asset's entity tag, from its content: a browser that revalidates anyway (a reload) gets
/// a 304 rather than the bundle again.
static TAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|(_, _, body)| transfer::content_tag(body))
        .collect()
});

const CACHE_FOR_A_YEAR: &str = "public, max-age=31536000, immutable";

/// Only this origin: the browser refuses any script, style, font or fetch from elsewhere. Inline
/// script and style are allowed for the page's own start-up code and style, which are static
/// (nothing in the page comes from the request); GraphiQL's fonts are `data:` URLs.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The GraphiQL page; never cached, so an upgrade reaches the browser at once.
pub fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::VARY, "Accept"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        PAGE,
    )
        .into_response()
}

/// `GET /graphql/assets/{file}`: one of the vendored files, or 404.
pub async fn asset(Path(file): Path<String>, request: HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|(name, ..)| *name == file) else {
        return error_response(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("there is no GraphiQL asset named `{file}`"),
        );
    };
    let (_, content_type, body) = ASSETS[index];
    let tag = TAGS.get(index).cloned();
    let mut response = match tag {
        Some(tag) if transfer::fresh(&request, &tag) => transfer::not_modified(tag),
        _ => {
            let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
            if let Some(tag) = tag {
                response.headers_mut().insert(header::ETAG, tag);
            }
            response
        }
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_FOR_A_YEAR),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
