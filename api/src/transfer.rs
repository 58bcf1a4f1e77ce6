//! How answers travel to browsers: compressed by `Accept-Encoding`, and revalidated by entity
//! tag, so a dashboard on a slow link pays for a file or an unchanged answer once.
//!
//! - [`compression`]: zstd, br or gzip, whichever the client prefers, for answers over
//!   [`COMPRESS_ABOVE`] bytes. Event streams (`text/event-stream`) are never compressed: an
//!   encoder holds bytes back until it has enough to compress, and an event must leave at once.
//!   Webhook answers are a few bytes and are left out by leaving the layer off their route.
//! - [`fresh`]: whether a request's `If-None-Match` already names the current tag, in which case
//!   the answer is a 304 with no body.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};

/// Answers smaller than this go as they are: under a TCP segment, compressing saves no round
/// trip and costs CPU on both ends.
pub const COMPRESS_ABOVE: u16 = 1024;

/// The compression in front of a router's answers.
pub fn compression() -> CompressionLayer<impl Predicate> {
    let predicate = SizeAbove::new(COMPRESS_ABOVE).and(NotForContentType::SSE);
    CompressionLayer::new()
        // Level 4 for every encoding: brotli's own default (11) takes seconds over GraphiQL's
        // 3.5 MB bundle; 4 compresses it in tens of milliseconds, within a few percent of 11.
        .quality(CompressionLevel::Precise(4))
        .compress_when(predicate)
}

/// A strong entity tag for fixed bytes (an embedded file): a digest of its content.
pub fn content_tag(bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
        .unwrap_or(HeaderValue::from_static("\"\""))
}

/// Whether `If-None-Match` names `tag` (or is `*`), compared weakly as RFC 9110 asks for
/// `If-None-Match`: `W/"x"` and `"x"` are the same tag there. A list may span several headers
/// and several comma-separated values.
pub fn fresh(request: &HeaderMap, tag: &HeaderValue) -> bool {
    let own = opaque(tag.as_bytes());
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&byte| byte == b','))
        .map(<[u8]>::trim_ascii)
        .any(|seen| seen == b"*" || opaque(seen) == own)
}

/// The quoted part of a tag, without its weakness mark.
fn opaque(tag: &[u8]) -> &[u8] {
    tag.strip_prefix(b"W/").unwrap_or(tag)
}

/// A 304 for `tag`, with no body.
pub fn not_modified(tag: HeaderValue) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    response.headers_mut().insert(header::ETAG, tag);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::IF_NONE_MATCH, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn if_none_match_compares_tags_weakly_across_lists_and_headers() {
        let tag = HeaderValue::from_static("W/\"v7-abc\"");
        assert!(fresh(&asking(&["W/\"v7-abc\""]), &tag));
        assert!(fresh(&asking(&["\"v7-abc\""]), &tag));
        assert!(fresh(&asking(&["\"old\", W/\"v7-abc\""]), &tag));
        assert!(fresh(&asking(&["\"old\"", " W/\"v7-abc\" "]), &tag));
        assert!(fresh(&asking(&["*"]), &tag));
        assert!(!fresh(&asking(&["W/\"v6-abc\""]), &tag));
        assert!(!fresh(&asking(&["W/\"v7-abc"]), &tag));
        assert!(!fresh(&asking(&[]), &tag));
    }
}
