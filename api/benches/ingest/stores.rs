//! Fresh stores for a measurement: a SQLite file in a temporary folder, or a PostgreSQL database
//! created on the server of the admin URL and dropped afterwards.

use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database};

use crate::seed::Dialect;

/// A store that exists until [`Fresh::remove`].
#[derive(Debug)]
pub struct Fresh {
    pub url: String,
    pub dialect: Dialect,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Sqlite(tempfile::TempDir),
    Postgres { admin: String, name: String },
}

impl Fresh {
    pub fn sqlite() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("creating a temporary folder")?;
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        );
        Ok(Self {
            url,
            dialect: Dialect::Sqlite,
            kind: Kind::Sqlite(dir),
        })
    }

    pub async fn postgres(admin: &str) -> anyhow::Result<Self> {
        let name = format!("mobiniti_bench_{}", uuid::Uuid::now_v7().simple());
        let mut url = url::Url::parse(admin).context("the PostgreSQL URL is not a URL")?;
        url.set_path(&format!("/{name}"));
        // Plain TCP over loopback unless told otherwise; sqlx's default (`prefer`) would encrypt.
        if !url.query_pairs().any(|(key, _)| key == "sslmode") {
            url.query_pairs_mut().append_pair("sslmode", "disable");
        }
        admin_statement(admin, &format!("CREATE DATABASE {name}")).await?;
        Ok(Self {
            url: url.to_string(),
            dialect: Dialect::Postgres,
            kind: Kind::Postgres {
                admin: admin.to_owned(),
                name,
            },
        })
    }

    /// Deletes the store; a failure is reported, not returned.
    pub async fn remove(self) {
        match self.kind {
            Kind::Sqlite(dir) => {
                if let Err(err) = dir.close() {
                    eprintln!("could not delete {}: {err}", self.url);
                }
            }
            Kind::Postgres { admin, name } => {
                let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                if let Err(err) = admin_statement(&admin, &drop).await {
                    eprintln!("could not drop database {name}: {err:#}");
                }
            }
        }
    }
}

async fn admin_statement(admin: &str, sql: &str) -> anyhow::Result<()> {
    tokio::time::timeout(Duration::from_secs(60), async {
        let server = Database::connect(admin)
            .await
            .context("connecting to the PostgreSQL server")?;
        server
            .execute_unprepared(sql)
            .await
            .context(sql.to_owned())?;
        server.close().await.context("closing the admin connection")
    })
    .await
    .with_context(|| format!("{sql} did not finish within 60 s"))?
}
