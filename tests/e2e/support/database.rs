//! A fresh database per test: a SQLite file in a temporary folder, or a PostgreSQL database
//! created on the server named by `TEST_DATABASE_URL` and dropped afterwards.

use sea_orm::{ConnectionTrait, Database};
use tempfile::TempDir;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub url: String,
    _dir: Option<TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary folder");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("events.db").display()
                );
                Self {
                    url,
                    _dir: Some(dir),
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL is set");
                let name = format!("mobiniti_test_{}", uuid::Uuid::new_v4().simple());
                let server = Database::connect(admin.as_str())
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                server
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create a test database");
                server.close().await.expect("close the admin connection");
                let url = with_database(&admin, &name);
                Self {
                    url,
                    _dir: None,
                    postgres: Some((admin, name)),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let server = Database::connect(admin.as_str()).await?;
                server
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                server.close().await?;
                Ok::<_, sea_orm::DbErr>(())
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if let Ok(Err(err)) = dropped {
            eprintln!("could not drop a test database: {err}");
        }
    }
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("TEST_DATABASE_URL is a URL");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

/// `url` pointed at another host and port.
pub fn with_address(url: &str, address: std::net::SocketAddr) -> String {
    let mut parsed = url::Url::parse(url).expect("a database URL");
    parsed
        .set_host(Some(&address.ip().to_string()))
        .expect("a host");
    parsed.set_port(Some(address.port())).expect("a port");
    parsed.to_string()
}
