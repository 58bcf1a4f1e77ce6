//! The router built in-process from a configuration and a store, as `run` builds it: answered
//! without a socket, and served on a listener of the test's own until the test stops it.

use std::time::Duration;

use api::AppState;
use api::cli::Cli;
use api::serve::{Listener, serve};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use clap::Parser;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::ServiceExt;

use crate::support::{Backend, TOKEN, TestDb, vendor_example};

on_every_store!(the_router_is_built_and_served_in_process);

async fn the_router_is_built_and_served_in_process(backend: Backend) {
    let db = TestDb::create(backend).await;
    let cli = Cli::try_parse_from([
        "mobiniti-events",
        "--database-url",
        &db.url,
        "--webhook-token",
        TOKEN,
    ])
    .expect("flags parse");
    let store = api::open_store(&cli.config).await.expect("the store opens");
    let state = AppState::build(&cli.config, store)
        .await
        .expect("the state builds");
    let closing = state.closing.clone();

    // Without a socket: the router is a service like any other.
    let delivered = api::app(state.clone())
        .oneshot(
            Request::post(format!("/webhooks/mobiniti/inbound-message?token={TOKEN}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(vendor_example("inbound-message")))
                .expect("a request"),
        )
        .await
        .expect("an answer");
    assert_eq!(delivered.status(), StatusCode::OK);

    // On a listener: what a client of the running service sees.
    let tcp = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = tcp.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        Listener::new(tcp, Duration::from_secs(10)),
        api::app(state),
        async move {
            let _ = stopped.await;
        },
    ));
    let answer: Value = reqwest::Client::new()
        .post(format!("http://{address}/graphql"))
        .json(&json!({"query": "{ events(first: 5) { totalCount nodes { kind } } }"}))
        .send()
        .await
        .expect("the query is answered")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        answer,
        json!({"data": {"events": {"totalCount": 1, "nodes": [{"kind": "INBOUND_MESSAGE"}]}}}),
    );

    closing.send_replace(true);
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops when told")
        .expect("the server task ends cleanly");
}
