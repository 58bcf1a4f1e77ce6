//! CORS for the origins the operator listed: browsers on those pages may read the API's
//! answers; any other page gets no CORS header and its browser keeps the answer from it.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::Origins;

/// The request headers a page may send: GraphQL over HTTP's, the key, a revalidation, and those
/// Apollo Client and persisted-query clients add.
const CORS_REQUEST_HEADERS: [&str; 8] = [
    "content-type",
    "authorization",
    "accept",
    "if-none-match",
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "x-apollo-operation-name",
];

/// The answer headers a page may read besides the safelisted ones.
const CORS_EXPOSED_HEADERS: [&str; 3] = ["etag", "retry-after", "x-request-id"];

/// How long a browser may keep a preflight's answer: Chromium's own cap.
const CORS_MAX_AGE: Duration = Duration::from_secs(2 * 60 * 60);

impl Origins {
    /// CORS for the listed origins (tower-http's): a preflight from one of them is answered
    /// with what the API takes, and its answers carry `access-control-allow-origin`; any other
    /// origin gets no CORS header, so its page cannot read an answer. No cookies are involved
    /// (keys go in `Authorization`), so credentials are not allowed.
    pub fn cors(&self) -> CorsLayer {
        let origins = self
            .listed()
            .iter()
            .filter_map(|origin| HeaderValue::from_str(origin).ok());
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(CORS_REQUEST_HEADERS.map(HeaderName::from_static))
            .expose_headers(CORS_EXPOSED_HEADERS.map(HeaderName::from_static))
            .max_age(CORS_MAX_AGE)
    }
}
