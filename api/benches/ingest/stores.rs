//! Fresh stores for a measurement: a SQLite file in a temporary folder, or a PostgreSQL database
//! created on the server of the admin URL and dropped afterwards.

use anyhow::Context;

use crate::postgres;
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
        let (name, url) = postgres::new_database(admin)?;
        postgres::create(admin, &name).await?;
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
                postgres::drop(&admin, &name).await;
            }
        }
    }
}
