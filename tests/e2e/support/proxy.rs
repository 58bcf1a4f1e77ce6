//! A TCP proxy the test controls, to cut the service off from PostgreSQL and restore it.

use std::net::SocketAddr;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub address: SocketAddr,
    cut: watch::Sender<bool>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let address = listener.local_addr().expect("proxy address");
        let (cut, watcher) = watch::channel(false);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *watcher.borrow() {
                    continue;
                }
                let mut watcher = watcher.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = copy_bidirectional(&mut client, &mut server) => {}
                        _ = watcher.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Self { address, cut }
    }

    /// A proxy to the server of the database at `url`, and the URL that reaches it through the
    /// proxy.
    pub async fn in_front_of(url: &str) -> (Self, String) {
        let parsed = url::Url::parse(url).expect("a database URL");
        let target = tokio::net::lookup_host((
            parsed.host_str().expect("a host").to_owned(),
            parsed.port().unwrap_or(5432),
        ))
        .await
        .expect("resolve the database host")
        .next()
        .expect("an address");
        let proxy = Self::start(target).await;
        let through = super::with_address(url, proxy.address);
        (proxy, through)
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}
