//! PostgreSQL databases a benchmark creates for one run on the server of the admin URL, and
//! drops after it.

use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database};

/// A new database's name, and the URL that reaches it.
pub fn new_database(admin: &str) -> anyhow::Result<(String, url::Url)> {
    let name = format!("mobiniti_bench_{}", uuid::Uuid::now_v7().simple());
    let url = url_of(admin, &name)?;
    Ok((name, url))
}

/// The URL of database `name` on the server of `admin`.
pub fn url_of(admin: &str, name: &str) -> anyhow::Result<url::Url> {
    let mut url = url::Url::parse(admin).context("the PostgreSQL URL is not a URL")?;
    url.set_path(&format!("/{name}"));
    // Plain TCP over loopback unless told otherwise: sqlx's default (`prefer`) would encrypt
    // even there, where node-postgres (PostGraphile, the queries' baseline) does not.
    if !url.query_pairs().any(|(key, _)| key == "sslmode") {
        url.query_pairs_mut().append_pair("sslmode", "disable");
    }
    Ok(url)
}

pub async fn create(admin: &str, name: &str) -> anyhow::Result<()> {
    admin_statement(admin, &format!("CREATE DATABASE {name}")).await
}

/// Drops the database; a failure is reported, not returned.
pub async fn drop(admin: &str, name: &str) {
    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    match admin_statement(admin, &sql).await {
        Ok(()) => println!("dropped database {name}"),
        Err(err) => eprintln!("could not drop database {name}: {err:#}"),
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
