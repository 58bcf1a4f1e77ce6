//! What a dashboard served from another origin, over a slow link, meets: CORS for the listed
//! origins only, compressed answers, and entity tags with 304s. All through the binary; the
//! order of answers is in `answer_order.rs`.

use std::io::Read;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use reqwest::header::{
    ACCEPT_ENCODING, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, CACHE_CONTROL, CONTENT_ENCODING,
    ETAG, HeaderMap, IF_NONE_MATCH, ORIGIN, VARY,
};
use serde_json::json;

use crate::support::sse::SseStream;
use crate::support::{Backend, TestApp, spawn_binary_with, vendor_example};

on_every_store!(
    only_listed_origins_get_cors,
    answers_are_compressed_as_the_client_accepts,
    a_get_query_is_revalidated_by_its_tag,
);

const DASHBOARD: &str = "http://localhost:5173";
const OTHER: &str = "http://elsewhere.example";
const KEY: &str = "reader-key-0123456789";
const TOTALS: &str = "{ totals { contacts subscribed } }";
const WAIT: Duration = Duration::from_secs(5);

/// Every value of `name`, joined as one list.
fn header(headers: &HeaderMap, name: &reqwest::header::HeaderName) -> String {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    values.join(", ")
}

/// A browser's preflight for a POST from `origin` with a key.
async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header(ORIGIN, origin)
        .header(ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(ACCESS_CONTROL_REQUEST_HEADERS, "content-type,authorization")
        .send()
        .await
        .expect("an answer")
}

async fn post_from(app: &TestApp, origin: &str, key: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header(ORIGIN, origin)
        .json(&json!({ "query": TOTALS }));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.expect("an answer")
}

async fn only_listed_origins_get_cors(backend: Backend) {
    for keys in [None, Some(KEY)] {
        let api_key = keys.map(|key| format!("read:{key}"));
        let mut flags = vec!["--cors-allowed-origins", DASHBOARD];
        if let Some(api_key) = &api_key {
            flags.extend(["--api-key", api_key]);
        }
        let app = spawn_binary_with(backend, &flags).await;

        let answer = preflight(&app, DASHBOARD).await;
        assert!(answer.status().is_success(), "{answer:?}");
        let headers = answer.headers();
        assert_eq!(header(headers, &ACCESS_CONTROL_ALLOW_ORIGIN), DASHBOARD);
        let methods = header(headers, &ACCESS_CONTROL_ALLOW_METHODS);
        assert!(
            methods.contains("POST") && methods.contains("GET"),
            "{methods}"
        );
        let allowed = header(headers, &ACCESS_CONTROL_ALLOW_HEADERS);
        for name in ["content-type", "authorization", "accept", "if-none-match"] {
            assert!(allowed.contains(name), "{name} not in {allowed}");
        }
        assert_eq!(header(headers, &ACCESS_CONTROL_MAX_AGE), "7200");
        assert!(header(headers, &VARY).contains("origin"), "{headers:?}");

        let answer = post_from(&app, DASHBOARD, keys).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let headers = answer.headers();
        assert_eq!(header(headers, &ACCESS_CONTROL_ALLOW_ORIGIN), DASHBOARD);
        assert!(header(headers, &VARY).contains("origin"), "{headers:?}");
        assert!(header(headers, &ACCESS_CONTROL_EXPOSE_HEADERS).contains("etag"));

        // Another page's preflight is answered without any permission, so its browser stops.
        let answer = preflight(&app, OTHER).await;
        assert!(answer.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
        let answer = post_from(&app, OTHER, keys).await;
        assert!(answer.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
        // Without keys the open API refuses the foreign page outright; with keys, the browser
        // keeps the page from reading the answer.
        let expected = match keys {
            None => StatusCode::FORBIDDEN,
            Some(_) => StatusCode::OK,
        };
        assert_eq!(answer.status(), expected);

        // Webhooks are not for browsers: no CORS there.
        let answer = app
            .client
            .request(
                reqwest::Method::OPTIONS,
                app.url("/webhooks/mobiniti/inbound-message"),
            )
            .header(ORIGIN, DASHBOARD)
            .header(ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .send()
            .await
            .expect("an answer");
        assert!(answer.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
        app.stop().await;
    }
}

/// The body of `request` sent with `Accept-Encoding: encoding`, and the encoding it came in.
async fn fetch_encoded(
    request: reqwest::RequestBuilder,
    encoding: &str,
) -> (String, Vec<u8>, HeaderMap) {
    let answer = request
        .header(ACCEPT_ENCODING, encoding)
        .send()
        .await
        .expect("an answer");
    assert!(answer.status().is_success(), "{answer:?}");
    let headers = answer.headers().clone();
    let body = answer.bytes().await.expect("a body").to_vec();
    (header(&headers, &CONTENT_ENCODING), body, headers)
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut plain)
        .expect("gzip");
    plain
}

async fn answers_are_compressed_as_the_client_accepts(backend: Backend) {
    let app = spawn_binary_with(backend, &[]).await;
    let introspection = json!({ "query": "{ __schema { types { name description } } }" });
    let plain = app
        .client
        .post(app.url("/graphql"))
        .json(&introspection)
        .send()
        .await
        .expect("an answer");
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    let plain = plain.bytes().await.expect("a body");
    assert!(plain.len() > 4096, "a large answer: {} bytes", plain.len());

    for (accepted, expected) in [
        ("gzip", "gzip"),
        ("br", "br"),
        ("zstd", "zstd"),
        ("gzip;q=0.5, br;q=1.0", "br"),
        ("identity", ""),
    ] {
        let request = app.client.post(app.url("/graphql")).json(&introspection);
        let (encoding, body, headers) = fetch_encoded(request, accepted).await;
        assert_eq!(encoding, expected, "for Accept-Encoding: {accepted}");
        if !expected.is_empty() {
            assert!(
                body.len() * 3 < plain.len(),
                "{} of {}",
                body.len(),
                plain.len()
            );
            assert!(
                header(&headers, &VARY)
                    .to_lowercase()
                    .contains("accept-encoding")
            );
        }
        if expected == "gzip" {
            assert_eq!(gunzip(&body), plain.to_vec());
        }
    }

    // A small answer is not worth it.
    let request = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": TOTALS }));
    assert_eq!(fetch_encoded(request, "gzip").await.0, "");

    // GraphiQL's bundle, the dashboard's files and the OpenAPI document.
    for path in [
        "/graphql/assets/graphiql.min.js",
        "/dashboard/dashboard.js",
        "/openapi.json",
    ] {
        let request = app.client.get(app.url(path));
        let (encoding, _, headers) = fetch_encoded(request, "gzip").await;
        assert_eq!(encoding, "gzip", "{path}");
        if path != "/openapi.json" {
            assert!(headers.get(CACHE_CONTROL).is_some(), "{path}");
            let tag = headers.get(ETAG).expect("an etag").clone();
            let again = app
                .client
                .get(app.url(path))
                .header(IF_NONE_MATCH, tag)
                .send()
                .await
                .expect("an answer");
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
            assert!(again.bytes().await.expect("a body").is_empty());
        }
    }

    // A webhook's answer and an event stream go as they are.
    let answer = app
        .client
        .post(app.url("/webhooks/mobiniti/inbound-message"))
        .query(&[("token", crate::support::TOKEN)])
        .header(ACCEPT_ENCODING, "gzip, br, zstd")
        .header("content-type", "application/json")
        .body(vendor_example("inbound-message"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(answer.headers().get(CONTENT_ENCODING).is_none());
    let stream = app
        .client
        .post(app.url("/graphql/stream"))
        .header("accept", "text/event-stream")
        .header(ACCEPT_ENCODING, "gzip, br, zstd")
        .json(&json!({ "query": "subscription { events(afterPosition: \"0\") { position } }" }))
        .send()
        .await
        .expect("an answer");
    assert!(stream.headers().get(CONTENT_ENCODING).is_none());
    let mut stream = SseStream::from_response(stream);
    let event = stream.expect_event(WAIT).await;
    assert!(format!("{event:?}").contains("position"), "{event:?}");
    app.stop().await;
}

async fn get_totals(app: &TestApp, tag: Option<&HeaderValue>) -> reqwest::Response {
    let mut request = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", TOTALS)]);
    if let Some(tag) = tag {
        request = request.header(IF_NONE_MATCH, tag.clone());
    }
    request.send().await.expect("an answer")
}

async fn a_get_query_is_revalidated_by_its_tag(backend: Backend) {
    for cache in ["64", "0"] {
        let app = spawn_binary_with(backend, &["--graphql-cache-mib", cache]).await;
        let first = get_totals(&app, None).await;
        assert_eq!(first.status(), StatusCode::OK);
        let tag = first.headers().get(ETAG).expect("a tag").clone();
        assert!(tag.to_str().expect("text").starts_with("W/\""), "{tag:?}");
        assert_eq!(header(first.headers(), &CACHE_CONTROL), "private, no-cache");
        let body = first.text().await.expect("a body");

        // Nothing written: one small round trip, no body.
        let again = get_totals(&app, Some(&tag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "cache {cache}");
        assert_eq!(again.headers().get(ETAG), Some(&tag));
        assert!(again.bytes().await.expect("a body").is_empty());

        // Another query, or another media type, is another answer.
        let other = app
            .client
            .get(app.url("/graphql"))
            .query(&[("query", "{ totals { contacts } }")])
            .header(IF_NONE_MATCH, tag.clone())
            .send()
            .await
            .expect("an answer");
        assert_eq!(other.status(), StatusCode::OK);
        let json = app
            .client
            .get(app.url("/graphql"))
            .query(&[("query", TOTALS)])
            .header("accept", "application/json")
            .header(IF_NONE_MATCH, tag.clone())
            .send()
            .await
            .expect("an answer");
        assert_eq!(json.status(), StatusCode::OK);

        // A write moves the tag on, and the stale one gets the new answer.
        app.deliver("contact-status", vendor_example("contact-status"))
            .await;
        let after = get_totals(&app, Some(&tag)).await;
        assert_eq!(after.status(), StatusCode::OK, "cache {cache}");
        let new_tag = after.headers().get(ETAG).expect("a tag").clone();
        assert_ne!(new_tag, tag);
        assert_ne!(after.text().await.expect("a body"), body);
        let settled = get_totals(&app, Some(&new_tag)).await;
        assert_eq!(settled.status(), StatusCode::NOT_MODIFIED);

        // A POST is not revalidated; an answer with errors is not tagged.
        let post = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": TOTALS }))
            .send()
            .await
            .expect("an answer");
        assert!(post.headers().get(ETAG).is_none());
        let failing = app
            .client
            .get(app.url("/graphql"))
            .query(&[("query", "{ nope }")])
            .send()
            .await
            .expect("an answer");
        assert!(failing.headers().get(ETAG).is_none());
        app.stop().await;
    }
}
