//! The HTTP/1.1 server under the router: one hyper connection per accepted socket.
//!
//! `axum::serve` gives hyper no timer, and without one hyper cannot time anything out: a client
//! that connects and sends nothing, or a header a byte at a time, holds its socket and a task
//! for as long as it likes, and enough of them take every file descriptor the process has. Here
//! each connection has `--request-header-timeout` to send a request's headers, counted from
//! the connection (or from the end of the previous answer, on a connection kept alive): past
//! it, hyper closes the connection without an answer. A request
//! whose headers arrived is then bounded by `--request-body-timeout`, and an upgraded WebSocket
//! by its own limits (`graphql::ws`). HTTP/2 is not served: browsers speak it only over TLS,
//! which a proxy in front terminates, and a cleartext HTTP/2 server would have to read a
//! connection's first bytes, untimed, to tell the two apart.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// How long to wait before accepting again after an error that is the process's, not one
/// client's (out of file descriptors): at once would spin on the same error.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A bound socket, and how long its connections have to send a request's headers.
#[derive(Debug)]
pub struct Listener {
    tcp: TcpListener,
    header_timeout: Duration,
}

impl Listener {
    pub fn new(tcp: TcpListener, header_timeout: Duration) -> Self {
        Self {
            tcp,
            header_timeout,
        }
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting, lets each
/// connection finish the request it is serving, and returns once they all have. Upgraded
/// connections are not waited for: they close themselves on the same signal.
pub async fn serve(listener: Listener, router: Router, shutdown: impl Future<Output = ()>) {
    let Listener {
        tcp,
        header_timeout,
    } = listener;
    let (stop, stopping) = watch::channel(false);
    let connections = TaskTracker::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = tcp.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                connections.spawn(connection(
                    stream,
                    peer,
                    router.clone(),
                    header_timeout,
                    stopping.clone(),
                ));
            }
            // One client's connection failed before it was taken: nothing to wait for.
            Err(err) if is_connection_error(&err) => {}
            Err(err) => {
                tracing::error!(error = %err, "cannot accept connections; retrying");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
    drop(tcp);
    stop.send_replace(true);
    connections.close();
    connections.wait().await;
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    header_timeout: Duration,
    mut stopping: watch::Receiver<bool>,
) {
    // Answers are written whole; Nagle's algorithm would only hold their last segment back.
    if let Err(err) = stream.set_nodelay(true) {
        tracing::debug!(error = %err, "TCP_NODELAY could not be set");
    }
    // What `into_make_service_with_connect_info` would add: the auth guard counts by it.
    let service = router.map_request(move |request: axum::http::Request<Incoming>| {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let stop = async move {
        // The guard `wait_for` returns must not live across an await.
        let _ = stopping.wait_for(|stop| *stop).await.map(drop);
    };
    let served = tokio::select! {
        served = connection.as_mut() => served,
        () = stop => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(err) = served {
        tracing::debug!(error = %err, %peer, "connection ended with an error");
    }
}

/// Errors of one connection, as opposed to the listener's.
fn is_connection_error(err: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        err.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}
