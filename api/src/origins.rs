//! Which web pages may reach the GraphQL API: the `Host` and `Origin` checks.
//!
//! A browser runs code the operator never chose: any page it shows can send requests to
//! `127.0.0.1`, and a WebSocket or an `EventSource` is not held back by the same-origin policy
//! (the browser only says where the page came from, in `Origin`). A page can also rebind its own
//! DNS name to `127.0.0.1`, and then its requests are same-origin for the browser, though their
//! `Host` still names the page's host. So an API without keys, open to whoever reaches it, must
//! tell a browser's request from the operator's own:
//!
//! - **No API keys** (the open API, on loopback or with `--insecure-open-api`): every request to
//!   a GraphQL route must name a loopback host in `Host` (`localhost` or a name under it,
//!   `127.0.0.0/8`, `[::1]`) or `--public-url`'s host, unless `--insecure-open-api` was given
//!   (the operator then reaches it by names this service cannot know); and a request that
//!   carries an `Origin` must come from the service's own pages (the origin its `Host` names)
//!   or from an origin listed in `--cors-allowed-origins`.
//! - **With API keys**, a page cannot send a key it does not have, and the browser keeps a
//!   cross-origin page from reading an HTTP answer; only WebSocket upgrades and SSE streams,
//!   which it does not hold back, are checked for `Origin`, against the same list.
//!
//! A request without `Origin` (curl, a server-side client, a browser's own navigation) passes
//! the `Origin` check; one without `Host` (HTTP/1.0) passes the `Host` check: a browser sends
//! both whenever they matter here. Refusals are answered 403 before anything is read, with
//! `HOST_NOT_ALLOWED` or `ORIGIN_NOT_ALLOWED`. The webhooks, health checks, `/metrics` and the
//! dashboard's files are not behind this: they hold no data a page could read, or carry a token.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::ErrorCode;

mod cors;

/// The rule in force, from the flags; cheap to clone.
#[derive(Debug, Clone)]
pub struct Origins(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// `--cors-allowed-origins`, and `--public-url`'s origin, as browsers write them.
    listed: Vec<String>,
    /// No API keys: every request is checked, not only streams.
    open: bool,
    /// Hosts answered besides loopback names (`--public-url`'s); `None`: any host
    /// (`--insecure-open-api`).
    hosts: Option<Vec<String>>,
}

impl Origins {
    /// `listed` are origins as [`parse_origin`] writes them.
    pub fn new(
        listed: Vec<String>,
        public_url: Option<&str>,
        open: bool,
        insecure_open_api: bool,
    ) -> Self {
        let public = public_url.and_then(|url| {
            let (scheme, rest) = url.split_once("://")?;
            let authority = rest.split('/').next()?;
            parse_origin(&format!("{scheme}://{authority}")).ok()
        });
        let hosts = (!insecure_open_api).then(|| {
            public
                .iter()
                .filter_map(|origin| origin.split_once("://"))
                .map(|(_, authority)| host_name(authority).to_owned())
                .collect()
        });
        let mut listed = listed;
        listed.extend(public);
        Self(Arc::new(Inner {
            listed,
            open,
            hosts,
        }))
    }

    /// The origins listed, `--public-url`'s included; for CORS.
    pub fn listed(&self) -> &[String] {
        &self.0.listed
    }

    /// Why a request to a GraphQL route is refused, if it is.
    fn refusal(&self, headers: &HeaderMap, streaming: bool) -> Option<Refusal> {
        let host = headers
            .get(header::HOST)
            .map(|value| value.to_str().unwrap_or_default().to_ascii_lowercase());
        if self.0.open
            && let (Some(hosts), Some(host)) = (&self.0.hosts, &host)
            && !is_loopback(host_name(host))
            && !hosts.iter().any(|allowed| allowed == host_name(host))
        {
            return Some(Refusal::Host(host.clone()));
        }
        if !self.0.open && !streaming {
            return None;
        }
        let origin = headers.get(header::ORIGIN)?;
        let text = origin.to_str().unwrap_or_default();
        let allowed = parse_origin(text).is_ok_and(|origin| {
            self.0.listed.contains(&origin) || host.is_some_and(|host| same_origin(&origin, &host))
        });
        (!allowed).then(|| Refusal::Origin(text.to_owned()))
    }
}

/// A browser origin, `scheme://host[:port]`, written as browsers send it in `Origin`: scheme
/// and host in lower case, no default port, no path.
pub fn parse_origin(text: &str) -> Result<String, String> {
    const EXAMPLE: &str = "write an origin as https://portal.example.com or http://localhost:5173";
    let uri: axum::http::Uri = text
        .trim()
        .parse()
        .map_err(|err| format!("not an origin ({err}); {EXAMPLE}"))?;
    let scheme = match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("http") => "http",
        Some("https") => "https",
        _ => {
            return Err(format!(
                "an origin starts with https:// or http://; {EXAMPLE}"
            ));
        }
    };
    let Some(host) = uri.host().filter(|host| !host.is_empty()) else {
        return Err(format!("the origin has no host; {EXAMPLE}"));
    };
    if uri.path() != "/" || uri.query().is_some() || text.contains('#') || text.contains('@') {
        return Err(format!(
            "an origin has no path, query, fragment or user name; {EXAMPLE}"
        ));
    }
    let host = host.to_ascii_lowercase();
    Ok(match (scheme, uri.port_u16()) {
        ("http", Some(80)) | ("https", Some(443)) | (_, None) => format!("{scheme}://{host}"),
        (_, Some(port)) => format!("{scheme}://{host}:{port}"),
    })
}

/// `host[:port]` without its port; an IPv6 literal keeps its brackets.
fn host_name(authority: &str) -> &str {
    let name = match authority.strip_prefix('[') {
        Some(rest) => rest
            .split_once(']')
            .map_or(authority, |(inside, _)| &authority[..inside.len() + 2]),
        None => authority.split(':').next().unwrap_or(authority),
    };
    name.strip_suffix('.').unwrap_or(name)
}

/// `localhost` and the names under it (RFC 6761), and loopback addresses.
fn is_loopback(name: &str) -> bool {
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    let literal = name.trim_start_matches('[').trim_end_matches(']');
    literal
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// Whether `origin` (as [`parse_origin`] writes it) is the one whose pages `host` serves: the
/// dashboard and GraphiQL call the API from there.
fn same_origin(origin: &str, host: &str) -> bool {
    let Some((scheme, _)) = origin.split_once("://") else {
        return false;
    };
    parse_origin(&format!("{scheme}://{host}")).is_ok_and(|own| own == origin)
}

enum Refusal {
    Host(String),
    Origin(String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (code, message) = match self {
            Self::Host(host) => (
                ErrorCode::HostNotAllowed,
                format!(
                    "this API has no API keys, so it answers only requests to a loopback host \
                     (localhost, 127.0.0.1, [::1]) or to --public-url's host; `Host: {host}` is \
                     what a page that rebinds its DNS name to this address sends. Reach the \
                     service at http://127.0.0.1:PORT, or set API_KEYS"
                ),
            ),
            Self::Origin(origin) => (
                ErrorCode::OriginNotAllowed,
                format!(
                    "browsers may use this API only from the service's own pages and the origins \
                     in --cors-allowed-origins (CORS_ALLOWED_ORIGINS); `{origin}` is not one of \
                     them: add it there if it is your dashboard"
                ),
            ),
        };
        let code = code.screaming();
        tracing::info!(code, "refused a browser request: {message}");
        (
            StatusCode::FORBIDDEN,
            axum::Json(json!({ "errors": [{
                "message": message,
                "extensions": { "code": code },
            }] })),
        )
            .into_response()
    }
}

/// The middleware in front of the GraphQL routes.
pub async fn guard(State(origins): State<Origins>, request: Request, next: Next) -> Response {
    let streaming = request.uri().path() == "/graphql/stream"
        || request
            .headers()
            .get(header::UPGRADE)
            .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"websocket"));
    match origins.refusal(request.headers(), streaming) {
        Some(refusal) => refusal.into_response(),
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(host).expect("a header"));
        if let Some(origin) = origin {
            headers.insert(
                header::ORIGIN,
                HeaderValue::from_str(origin).expect("a header"),
            );
        }
        headers
    }

    #[test]
    fn origins_are_written_as_browsers_send_them() {
        assert_eq!(
            parse_origin("HTTPS://Portal.Example.com:443/"),
            Ok("https://portal.example.com".to_owned())
        );
        assert_eq!(
            parse_origin("http://localhost:5173"),
            Ok("http://localhost:5173".to_owned())
        );
        assert_eq!(
            parse_origin("http://[::1]:8080"),
            Ok("http://[::1]:8080".to_owned())
        );
        for wrong in [
            "localhost:5173",
            "ftp://a.example",
            "https://a.example/app",
            "*",
            "null",
        ] {
            assert!(parse_origin(wrong).is_err(), "{wrong}");
        }
    }

    fn open() -> Origins {
        Origins::new(
            vec!["http://localhost:5173".to_owned()],
            Some("https://Hooks.Example.com/base"),
            true,
            false,
        )
    }

    #[test]
    fn the_open_api_answers_loopback_names_and_the_public_host() {
        let origins = open();
        for host in [
            "localhost:8080",
            "127.0.0.1:8080",
            "127.1.2.3",
            "[::1]:8080",
            "app.localhost:8080",
            "LOCALHOST.",
            "hooks.example.com",
        ] {
            assert!(
                origins.refusal(&headers(host, None), false).is_none(),
                "{host}"
            );
        }
        for host in [
            "evil.example:8080",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "[::2]:8080",
            "10.0.0.1",
        ] {
            assert!(
                matches!(
                    origins.refusal(&headers(host, None), false),
                    Some(Refusal::Host(_))
                ),
                "{host}"
            );
        }
    }

    #[test]
    fn browsers_are_answered_from_the_own_origin_and_the_listed_ones() {
        let origins = open();
        let allowed = [
            ("127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("localhost:8080", "http://localhost:8080"),
            ("localhost", "http://localhost:80"),
            ("127.0.0.1:8080", "http://localhost:5173"),
            ("127.0.0.1:8080", "https://hooks.example.com"),
        ];
        for (host, origin) in allowed {
            assert!(
                origins
                    .refusal(&headers(host, Some(origin)), false)
                    .is_none(),
                "{origin} to {host}"
            );
        }
        let refused = [
            ("127.0.0.1:8080", "http://evil.example"),
            ("127.0.0.1:8080", "http://127.0.0.1:9999"),
            ("127.0.0.1:8080", "null"),
            ("127.0.0.1:8080", "http://localhost:5174"),
        ];
        for (host, origin) in refused {
            assert!(
                matches!(
                    origins.refusal(&headers(host, Some(origin)), false),
                    Some(Refusal::Origin(_))
                ),
                "{origin} to {host}"
            );
        }
    }

    #[test]
    fn with_keys_only_streams_check_the_origin_and_no_host_is_refused() {
        let origins = Origins::new(Vec::new(), None, false, false);
        let foreign = headers("api.example.com", Some("http://evil.example"));
        assert!(origins.refusal(&foreign, false).is_none());
        assert!(matches!(
            origins.refusal(&foreign, true),
            Some(Refusal::Origin(_))
        ));
        let own = headers("api.example.com", Some("https://api.example.com"));
        assert!(origins.refusal(&own, true).is_none());
    }

    #[test]
    fn an_insecure_open_api_answers_any_host_but_still_checks_browsers() {
        let origins = Origins::new(Vec::new(), None, true, true);
        assert!(
            origins
                .refusal(&headers("10.0.0.5:8080", None), false)
                .is_none()
        );
        assert!(matches!(
            origins.refusal(
                &headers("10.0.0.5:8080", Some("http://evil.example")),
                false
            ),
            Some(Refusal::Origin(_))
        ));
    }
}
