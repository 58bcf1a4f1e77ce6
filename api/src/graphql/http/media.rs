//! Which media types a request is sent and answered in.

use axum::http::{HeaderMap, header};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::graphql) enum Media {
    GraphqlResponseJson,
    Json,
}

impl Media {
    pub(in crate::graphql) fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

/// The media ranges `Accept` lists, in order, lowercased and without parameters; `None` when
/// there is no (readable) `Accept`.
pub(in crate::graphql) fn accepted(headers: &HeaderMap) -> Option<impl Iterator<Item = String>> {
    let accept = headers.get(header::ACCEPT)?.to_str().ok()?;
    Some(accept.split(',').map(|range| {
        let essence = range.split(';').next().unwrap_or_default();
        essence.trim().to_ascii_lowercase()
    }))
}

/// The media type of the answer, from `Accept`; `None` when the client accepts neither.
pub(super) fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(mut ranges) = accepted(headers) else {
        return Some(Media::GraphqlResponseJson);
    };
    ranges.find_map(|essence| match essence.as_str() {
        "application/graphql-response+json" | "*/*" | "application/*" => {
            Some(Media::GraphqlResponseJson)
        }
        "application/json" => Some(Media::Json),
        _ => None,
    })
}

/// Whether the client is a browser asking for a page.
pub(super) fn accepts_html(headers: &HeaderMap) -> bool {
    accepted(headers).is_some_and(|mut ranges| ranges.any(|essence| essence == "text/html"))
}

/// Checks that a POST body is JSON in UTF-8; the error says what to send instead.
pub(super) fn check_content_type(headers: &HeaderMap) -> Result<(), &'static str> {
    const SEND_JSON: &str = "send the request as Content-Type: application/json";
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or(SEND_JSON)?;
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence != "application/json" {
        return Err(SEND_JSON);
    }
    for parameter in parts {
        if let Some((name, charset)) = parameter.split_once('=')
            && name.trim().eq_ignore_ascii_case("charset")
            && !charset
                .trim()
                .trim_matches('"')
                .eq_ignore_ascii_case("utf-8")
        {
            return Err("only the utf-8 charset is accepted");
        }
    }
    Ok(())
}
