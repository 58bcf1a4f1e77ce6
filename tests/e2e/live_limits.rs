//! The limits WebSocket connections and SSE streams share (`--live-*`), set the ways a
//! deployment sets them: by the new names, and by the `--ws-*` names and `WS_*` variables they
//! had before, which the binary still honours.

use crate::support::ws::{Refused, TRANSPORT, WsClient};
use crate::support::{Backend, TestApp, spawn_binary_with_env};

on_every_store!(
    the_former_environment_variable_still_sets_the_connection_limit,
    the_new_variable_wins_over_the_former_one,
);

/// Connects until one is refused; the number taken and the refusal.
async fn connect_until_refused(app: &TestApp, most: usize) -> (Vec<WsClient>, Refused) {
    let mut open = Vec::new();
    for _ in 0..most {
        match WsClient::try_connect(app, "/graphql/ws", &[TRANSPORT], &[]).await {
            Ok(client) => open.push(client),
            Err(refused) => return (open, refused),
        }
    }
    panic!("{most} connections taken, none refused");
}

async fn the_former_environment_variable_still_sets_the_connection_limit(backend: Backend) {
    let app = spawn_binary_with_env(backend, &[], &[("WS_MAX_CONNECTIONS", "1")]).await;
    let (open, refused) = connect_until_refused(&app, 5).await;
    assert_eq!(open.len(), 1);
    assert_eq!(refused.status, 503);
    assert!(
        refused.body.contains("--live-max-connections"),
        "{}",
        refused.body
    );
    app.stop().await;
}

async fn the_new_variable_wins_over_the_former_one(backend: Backend) {
    let env = [("WS_MAX_CONNECTIONS", "1"), ("LIVE_MAX_CONNECTIONS", "2")];
    let app = spawn_binary_with_env(backend, &[], &env).await;
    let (open, refused) = connect_until_refused(&app, 5).await;
    assert_eq!(open.len(), 2);
    assert_eq!(refused.status, 503);
    app.stop().await;
}
