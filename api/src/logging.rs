//! Logs through `tracing`: human-readable by default, JSON lines with `--log-format json`, and a
//! request id on every line written while a request is handled.
//!
//! Nothing here sees a secret: the request span names the path only (webhook URLs carry their
//! token in the query string), and no handler logs a header, a key or a message's text.

mod throttle;

use std::io::IsTerminal;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing_subscriber::EnvFilter;

pub use throttle::Throttle;

/// The header a request id travels in, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id kept from a client (or a proxy in front); a longer one, or one with
/// characters outside `[A-Za-z0-9._:-]`, is replaced by the service's own.
const MAX_REQUEST_ID: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// One line per event for people; colored when writing to a terminal.
    #[default]
    Text,
    /// One JSON object per line, with the request's fields (its id among them) in `span`.
    Json,
}

/// Installs the process's subscriber, writing to standard error. `RUST_LOG` chooses what is
/// written (default: `info`, without the SQL libraries' own chatter).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// The request span's `request_id` field: the one the request came with, when it is safe to
/// write into a log line, or else a new UUID.
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeId;

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let id = uuid::Uuid::now_v7().to_string();
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// Drops a request id that is not safe to log as is, so that [`MakeId`] gives a new one.
pub async fn screen_request_id(mut request: Request) -> Request {
    let unsafe_id = request
        .headers()
        .get(&REQUEST_ID)
        .is_some_and(|id| !is_safe(id.as_bytes()));
    if unsafe_id {
        request.headers_mut().remove(&REQUEST_ID);
    }
    request
}

fn is_safe(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id
            .iter()
            .all(|byte| byte.is_ascii_alphanumeric() || b"._:-".contains(byte))
}

/// The request id of a request that went through the layers, for its span.
pub fn request_id_of<B>(request: &axum::http::Request<B>) -> &str {
    request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_tokens_are_kept() {
        assert!(is_safe(b"0192f0c4-7a3b-7cc1-9f1e-2b8d3c4e5f60"));
        assert!(is_safe(b"lb.7f3a:42"));
        assert!(!is_safe(b""));
        assert!(!is_safe(b"id with spaces"));
        assert!(!is_safe(b"id\"quoted"));
        assert!(!is_safe(&[b'a'; MAX_REQUEST_ID + 1]));
    }
}
