//! Which web pages reach the GraphQL API, through the binary: forged `Host` and `Origin`
//! headers, over HTTP, WebSocket and Server-Sent Events, without API keys and with them.

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HOST, ORIGIN};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};

use crate::support::process::ServiceProcess;
use crate::support::{Backend, TOKEN, TestDb, vendor_example};

on_every_store!(
    the_open_api_answers_only_loopback_hosts_and_its_own_pages,
    with_keys_streams_still_refuse_foreign_pages,
    an_insecure_open_api_answers_any_host_but_not_foreign_pages,
);

const KEY: &str = "reader-key-0123456789";
const EVIL: &str = "http://evil.example";
const DASHBOARD: &str = "http://localhost:5173";
/// `--public-url`: its host and its origin are the service's own too (a proxy in front).
const PUBLIC: &str = "https://hooks.example.com/base";

/// A GraphQL request with the headers given, and its status and `extensions.code`.
async fn ask(
    service: &ServiceProcess,
    headers: &[(reqwest::header::HeaderName, &str)],
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(service.url("/graphql"))
        .json(&json!({ "query": "{ totals { contacts } }" }));
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let response = request.send().await.expect("an answer");
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON answer");
    (status, body["errors"][0]["extensions"]["code"].clone())
}

/// The status of a WebSocket upgrade to `/graphql/ws` with these headers.
async fn upgrade(service: &ServiceProcess, headers: &[(&str, &str)]) -> u16 {
    let url = format!("ws://{}/graphql/ws", service.address);
    let mut request = url.into_client_request().expect("a WebSocket request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("a header name");
        let value = HeaderValue::from_str(value).expect("a header value");
        request.headers_mut().insert(name, value);
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((_socket, response)) => response.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(err) => panic!("the upgrade failed: {err}"),
    }
}

/// The status of an SSE subscription opened with these headers.
async fn stream(
    service: &ServiceProcess,
    headers: &[(reqwest::header::HeaderName, &str)],
) -> StatusCode {
    let mut request = reqwest::Client::new()
        .post(service.url("/graphql/stream"))
        .header("accept", "text/event-stream")
        .json(&json!({ "query": "subscription { events { position } }" }));
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    request.send().await.expect("an answer").status()
}

async fn the_open_api_answers_only_loopback_hosts_and_its_own_pages(backend: Backend) {
    let db = TestDb::create(backend).await;
    let flags = ["--cors-allowed-origins", DASHBOARD, "--public-url", PUBLIC];
    let service = ServiceProcess::start_with(&db.url, &flags).await;
    let port = service.address.port();
    let own = format!("http://127.0.0.1:{port}");
    let rebound = format!("evil.example:{port}");
    let localhost = format!("localhost:{port}");

    let refused_host = ask(&service, &[(HOST, &rebound)]).await;
    assert_eq!(
        refused_host,
        (StatusCode::FORBIDDEN, json!("HOST_NOT_ALLOWED"))
    );
    assert_eq!(ask(&service, &[(HOST, &localhost)]).await.0, StatusCode::OK);
    assert_eq!(ask(&service, &[]).await.0, StatusCode::OK);
    assert_eq!(
        ask(&service, &[(HOST, "hooks.example.com")]).await.0,
        StatusCode::OK
    );
    assert_eq!(
        ask(&service, &[(ORIGIN, "https://hooks.example.com")])
            .await
            .0,
        StatusCode::OK
    );

    let refused_origin = ask(&service, &[(ORIGIN, EVIL)]).await;
    assert_eq!(
        refused_origin,
        (StatusCode::FORBIDDEN, json!("ORIGIN_NOT_ALLOWED"))
    );
    assert_eq!(ask(&service, &[(ORIGIN, &own)]).await.0, StatusCode::OK);
    assert_eq!(
        ask(&service, &[(ORIGIN, DASHBOARD)]).await.0,
        StatusCode::OK
    );
    assert_eq!(
        ask(&service, &[(ORIGIN, "null")]).await.0,
        StatusCode::FORBIDDEN,
        "a sandboxed page or a file:// one"
    );

    assert_eq!(upgrade(&service, &[("origin", EVIL)]).await, 403);
    assert_eq!(upgrade(&service, &[("host", &rebound)]).await, 403);
    assert_eq!(upgrade(&service, &[("origin", &own)]).await, 101);
    assert_eq!(upgrade(&service, &[("origin", DASHBOARD)]).await, 101);
    assert_eq!(upgrade(&service, &[]).await, 101);

    assert_eq!(stream(&service, &[(ORIGIN, EVIL)]).await, 403);
    assert_eq!(stream(&service, &[(HOST, &rebound)]).await, 403);
    assert_eq!(stream(&service, &[(ORIGIN, &own)]).await, 200);

    // Mobiniti reaches the webhooks through whatever name the proxy gives; they carry a token.
    let webhook = reqwest::Client::new()
        .post(service.url(&format!("/webhooks/mobiniti/inbound-message?token={TOKEN}")))
        .header(HOST, &rebound)
        .header(ORIGIN, EVIL)
        .body(vendor_example("inbound-message"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(webhook.status(), StatusCode::OK);
    service.stop().await;
}

async fn with_keys_streams_still_refuse_foreign_pages(backend: Backend) {
    let db = TestDb::create(backend).await;
    let keys = format!("read:{KEY}");
    let service = ServiceProcess::start_with(
        &db.url,
        &["--api-key", &keys, "--cors-allowed-origins", DASHBOARD],
    )
    .await;
    let bearer = format!("Bearer {KEY}");
    let port = service.address.port();

    // A page cannot send a key it does not have; the browser keeps the answer from it anyway.
    let foreign = ask(
        &service,
        &[
            (AUTHORIZATION, &bearer),
            (ORIGIN, EVIL),
            (HOST, &format!("api.example.com:{port}")),
        ],
    )
    .await;
    assert_eq!(foreign.0, StatusCode::OK);

    let authorized = [("authorization", bearer.as_str())];
    assert_eq!(
        upgrade(&service, &[authorized[0], ("origin", EVIL)]).await,
        403
    );
    assert_eq!(
        upgrade(&service, &[authorized[0], ("origin", DASHBOARD)]).await,
        101
    );
    assert_eq!(upgrade(&service, &authorized).await, 101);
    assert_eq!(
        stream(&service, &[(AUTHORIZATION, &bearer), (ORIGIN, EVIL)]).await,
        403
    );
    assert_eq!(
        stream(&service, &[(AUTHORIZATION, &bearer), (ORIGIN, DASHBOARD)]).await,
        200
    );
    service.stop().await;
}

async fn an_insecure_open_api_answers_any_host_but_not_foreign_pages(backend: Backend) {
    let db = TestDb::create(backend).await;
    let service = ServiceProcess::start_with(&db.url, &["--insecure-open-api"]).await;
    let lan = format!("10.1.2.3:{}", service.address.port());
    assert_eq!(ask(&service, &[(HOST, &lan)]).await.0, StatusCode::OK);
    assert_eq!(
        ask(
            &service,
            &[(HOST, &lan), (ORIGIN, &format!("http://{lan}"))]
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        ask(&service, &[(HOST, &lan), (ORIGIN, EVIL)]).await,
        (StatusCode::FORBIDDEN, json!("ORIGIN_NOT_ALLOWED"))
    );
    service.stop().await;
}
