//! Replicas started at the same moment on an empty database, as an orchestrator starts them:
//! the migrations run once, under the lock of `store/migrate.rs`, and every replica comes up and
//! serves. Each race is run a few times, each time on a fresh database, so a lost one shows;
//! and a migration waits for the lock however long another process holds it.

use std::io::{Read, Seek};
use std::process::Stdio;
use std::time::Duration;

use futures_util::future::join_all;
use migration::MigratorTrait;
use sea_orm::{
    ConnectionTrait, Database, DatabaseTransaction, EntityTrait, PaginatorTrait,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::process::{ServiceProcess, binary};
use crate::support::{Backend, TOKEN, TestDb};

const REPLICAS: usize = 4;
const ROUNDS: usize = 3;

/// The advisory lock `store/migrate.rs` documents, spelled out: a change to it is a change
/// operators and older versions would notice.
const ADVISORY_LOCK_KEY: i64 = 7_885_629_677_512_520_809;

on_every_store!(
    replicas_started_together_on_an_empty_database_all_serve_and_migrate_once,
    migrate_run_together_on_an_empty_database_succeeds_every_time,
    migrate_waits_for_a_lock_held_longer_than_the_store_timeout,
);

async fn replicas_started_together_on_an_empty_database_all_serve_and_migrate_once(
    backend: Backend,
) {
    for round in 1..=ROUNDS {
        let db = TestDb::create(backend).await;
        let mut logs: Vec<std::fs::File> = (0..REPLICAS)
            .map(|_| tempfile::tempfile().expect("a log file"))
            .collect();
        // Each start on a task of its own, all spawned before any is waited for.
        let starts: Vec<_> = logs
            .iter()
            .map(|log| {
                let url = db.url.clone();
                let log = log.try_clone().expect("a second handle on the log");
                tokio::spawn(
                    async move { ServiceProcess::start_logging(&url, &[], Some(log)).await },
                )
            })
            .collect();
        let mut replicas = Vec::new();
        for (replica, start) in starts.into_iter().enumerate() {
            match start.await {
                Ok(process) => replicas.push(process),
                Err(_) => panic!(
                    "round {round}: replica {replica} did not come up; its errors:\n{}",
                    errors(&read(&mut logs[replica]))
                ),
            }
        }

        let http = reqwest::Client::new();
        for (replica, process) in replicas.iter().enumerate() {
            let ready = http
                .get(process.url("/readyz"))
                .send()
                .await
                .expect("the replica answers");
            assert_eq!(ready.status(), 200, "round {round}: replica {replica}");
            let body = json!({
                "id": format!("c-{replica}"),
                "phone_number": format!("+13035551{replica:03}"),
                "message": format!("to replica {replica}"),
                "received_at": "2024-01-01T00:00:00Z",
                "updated_at": "2024-01-01T00:00:00Z",
            });
            let stored = http
                .post(process.url(&format!("/webhooks/mobiniti/inbound-message?token={TOKEN}")))
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .expect("the replica answers");
            let status = stored.status();
            let text = stored.text().await.expect("a body");
            assert_eq!(status, 200, "round {round}: replica {replica}: {text}");
        }
        for process in replicas {
            process.stop().await;
        }

        let store = Database::connect(db.url.as_str())
            .await
            .expect("connect to the test store");
        let events = entity::events::Entity::find()
            .count(&store)
            .await
            .expect("count the events");
        assert_eq!(events, REPLICAS as u64, "round {round}");
        let logs: Vec<String> = logs.iter_mut().map(read).collect();
        assert_migrated_once(&store, &logs, round).await;
        store.close().await.expect("close the test connection");
    }
}

async fn migrate_run_together_on_an_empty_database_succeeds_every_time(backend: Backend) {
    for round in 1..=ROUNDS {
        let db = TestDb::create(backend).await;
        let runs = join_all((0..REPLICAS).map(|_| {
            binary()
                .args(["migrate", "--database-url", &db.url])
                // sea-orm-migration's lines, which `assert_migrated_once` counts.
                .env("RUST_LOG", "info")
                .kill_on_drop(true)
                .output()
        }))
        .await;
        let mut logs = Vec::new();
        for (run, output) in runs.into_iter().enumerate() {
            let output = output.expect("run mobiniti-events migrate");
            let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
            assert!(
                output.status.success(),
                "round {round}: migrate {run} ended with {}:\n{}",
                output.status,
                errors(&stderr)
            );
            assert!(
                String::from_utf8_lossy(&output.stdout).contains("migrations applied"),
                "round {round}: migrate {run}"
            );
            logs.push(stderr);
        }

        let store = Database::connect(db.url.as_str())
            .await
            .expect("connect to the test store");
        assert_migrated_once(&store, &logs, round).await;
        store.close().await.expect("close the test connection");
    }
}

async fn migrate_waits_for_a_lock_held_longer_than_the_store_timeout(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = Database::connect(db.url.as_str())
        .await
        .expect("connect to the test store");
    let held = hold_the_migration_lock(&store, backend).await;

    let mut migrate = binary()
        .args([
            "migrate",
            "--database-url",
            &db.url,
            "--store-timeout",
            "200ms",
        ])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start mobiniti-events migrate");
    let mut lines = BufReader::new(migrate.stderr.take().expect("its stderr")).lines();
    let mut log = String::new();
    let waiting = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(line) = lines.next_line().await.expect("read its stderr") {
            log.push_str(&line);
            log.push('\n');
            if line.contains("waiting for another process's migrations") {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        matches!(waiting, Ok(true)),
        "migrate says it waits for the lock:\n{log}"
    );
    // Five store timeouts: a wait the timeout cut short would have ended it by now.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        migrate.try_wait().expect("its state").is_none(),
        "migrate still waits while the lock is held:\n{log}"
    );

    held.commit().await.expect("release the migration lock");
    let rest = tokio::spawn(async move {
        let mut rest = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            rest.push_str(&line);
            rest.push('\n');
        }
        rest
    });
    let status = tokio::time::timeout(Duration::from_secs(10), migrate.wait())
        .await
        .expect("migrate ends within 10 s of the lock's release")
        .expect("its exit status");
    log.push_str(&rest.await.expect("its stderr"));
    assert!(status.success(), "{status}:\n{log}");
    assert_migrated_once(&store, &[log], 1).await;
    store.close().await.expect("close the test connection");
}

/// Takes the lock `mobiniti-events` migrates under, until the transaction ends: SQLite's write
/// lock, or the advisory lock (a transaction-level hold conflicts with the session-level one).
async fn hold_the_migration_lock(
    store: &sea_orm::DatabaseConnection,
    backend: Backend,
) -> DatabaseTransaction {
    match backend {
        Backend::Sqlite => {
            // In WAL mode already, so the service's connections need no lock to switch to it.
            store
                .execute_unprepared("PRAGMA journal_mode = WAL")
                .await
                .expect("switch to WAL");
            store
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..TransactionOptions::default()
                })
                .await
                .expect("take the write lock")
        }
        Backend::Postgres => {
            let held = store.begin().await.expect("a transaction");
            held.execute_unprepared(&format!(
                "SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})"
            ))
            .await
            .expect("take the advisory lock");
            held
        }
    }
}

/// Checks that every migration is recorded, and that exactly one of the processes whose `logs`
/// are given applied each: sea-orm-migration logs "Migration '…' has been applied" for it.
async fn assert_migrated_once(store: &sea_orm::DatabaseConnection, logs: &[String], round: usize) {
    let expected: Vec<String> = migration::Migrator::migrations()
        .iter()
        .map(|migration| migration.name().to_owned())
        .collect();
    let recorded: Vec<String> = store
        .query_all_raw(Statement::from_string(
            store.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await
        .expect("read seaql_migrations")
        .iter()
        .map(|row| row.try_get::<String>("", "version").expect("a version"))
        .collect();
    assert_eq!(recorded, expected, "round {round}");
    for name in &expected {
        let applied = format!("Migration '{name}' has been applied");
        let times: usize = logs.iter().map(|log| log.matches(&applied).count()).sum();
        assert_eq!(times, 1, "round {round}: {name} applied {times} times");
    }
}

fn read(log: &mut std::fs::File) -> String {
    let mut text = String::new();
    log.rewind().expect("rewind the log");
    log.read_to_string(&mut text).expect("read the log");
    text
}

/// The lines of a log that say what failed.
fn errors(log: &str) -> String {
    log.lines()
        .filter(|line| line.contains("ERROR") || line.starts_with("error"))
        .collect::<Vec<_>>()
        .join("\n")
}
