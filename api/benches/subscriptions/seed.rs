//! Fills a freshly migrated store's log with `count` inbound messages in SQL, in one transaction
//! (PostgreSQL: `INSERT … SELECT` from `generate_series`; SQLite: a recursive CTE), so that
//! 200,000 events take seconds rather than 200,000 webhooks, and moves `log_head` to the last.
//!
//! Only the log is written: the `events` subscription and query read nothing else. Event `i` is
//! at position `i`, with a UUID id and a dedupe key derived from `i`, a payload shaped like a
//! real inbound message (about 150 bytes) as the raw body, stored as the service stores them:
//! `uuid`, `bytea` and `timestamptz` on PostgreSQL; on SQLite the id as 16 bytes, times as RFC
//! 3339 text with `+00:00`.

use std::time::Instant;

use anyhow::{Context, ensure};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, TransactionTrait};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

/// 2025-01-01T00:00:00Z: event `i` was received `i` seconds after it.
const EPOCH: i64 = 1_735_689_600;
/// Events are written in this many statements, for progress.
const CHUNKS: i64 = 10;

impl Dialect {
    /// The rows `i` from `lo` to `hi`: a prefix for the statement, and the `FROM` item.
    fn series(self, lo: i64, hi: i64) -> (String, String) {
        match self {
            Self::Postgres => (
                String::new(),
                format!("generate_series({lo}::bigint, {hi}) AS s(i)"),
            ),
            Self::Sqlite => (
                format!(
                    "WITH RECURSIVE s(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM s WHERE i < {hi}) "
                ),
                "s".to_owned(),
            ),
        }
    }

    /// The SELECT list of event `i`, given `p`, its payload as JSON text (a column of the row).
    fn columns(self) -> String {
        let phone = self.phone();
        match self {
            Self::Postgres => format!(
                "i, ('01900000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, \
                 'inbound-message', 'bench:' || i, to_timestamp({EPOCH} + i), \
                 to_timestamp({EPOCH} + i), 'c-' || i, {phone}, convert_to(p, 'UTF8'), \
                 1, to_timestamp({EPOCH} + i)"
            ),
            Self::Sqlite => {
                let time =
                    format!("strftime('%Y-%m-%dT%H:%M:%S', {EPOCH} + i, 'unixepoch') || '+00:00'");
                format!(
                    "i, unhex(printf('01900000000070008000%012x', i)), 'inbound-message', \
                     'bench:' || i, {time}, {time}, 'c-' || i, {phone}, CAST(p AS BLOB), 1, \
                     {time}"
                )
            }
        }
    }

    /// The payload of event `i` as JSON text; its times are those the row is dated with.
    fn payload(self) -> String {
        let time = match self {
            Self::Postgres => format!(
                "to_char(to_timestamp({EPOCH} + i) AT TIME ZONE 'UTC', \
                 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            ),
            Self::Sqlite => format!("strftime('%Y-%m-%dT%H:%M:%SZ', {EPOCH} + i, 'unixepoch')"),
        };
        format!(
            "'{{\"id\":\"c-' || i || '\",\"message\":\"hi ' || i || '\",\"phone_number\":\"' || \
             {phone} || '\",\"received_at\":\"' || {time} || '\",\"updated_at\":\"' || {time} \
             || '\"}}'",
            phone = self.phone(),
        )
    }

    /// The E.164 phone of event `i`: `+1202555` and four digits.
    fn phone(self) -> &'static str {
        match self {
            Self::Postgres => "'+1202555' || lpad((i % 10000)::text, 4, '0')",
            Self::Sqlite => "'+1202555' || substr('000' || (i % 10000), -4)",
        }
    }
}

/// Writes events 1 to `count` into the migrated, empty log at `url` and sets its head to `count`.
pub async fn seed(url: &str, dialect: Dialect, count: i64) -> anyhow::Result<()> {
    ensure!(count >= CHUNKS, "--replay-events must be at least {CHUNKS}");
    let mut options = ConnectOptions::new(url.to_owned());
    options.max_connections(1).sqlx_logging(false);
    let db = Database::connect(options)
        .await
        .context("connecting to the store to seed it")?;
    let started = Instant::now();
    let txn = db.begin().await.context("starting the seed transaction")?;
    let chunk = (count + CHUNKS - 1) / CHUNKS;
    for lo in (1..=count).step_by(chunk as usize) {
        let hi = (lo + chunk - 1).min(count);
        txn.execute_unprepared(&events_sql(dialect, lo, hi))
            .await
            .with_context(|| format!("inserting events {lo} to {hi}"))?;
        println!("    {hi:>9} events ({:.1?})", started.elapsed());
    }
    txn.execute_unprepared(&format!(
        "UPDATE log_head SET position = {count}, version = version + 1 WHERE id = 1"
    ))
    .await
    .context("moving the log's head")?;
    txn.commit().await.context("committing the seed")?;
    // PostgreSQL: statistics and the visibility map, as autovacuum would leave them. SQLite:
    // statistics, and the write-ahead log folded into the database file now rather than by the
    // first checkpoint during a measurement.
    let finish: &[&str] = match dialect {
        Dialect::Postgres => &["VACUUM (ANALYZE) events"],
        Dialect::Sqlite => &["ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)"],
    };
    for statement in finish {
        db.execute_unprepared(statement)
            .await
            .with_context(|| format!("running {statement} on the seeded store"))?;
    }
    println!("    committed and analyzed ({:.1?})", started.elapsed());
    db.close().await.context("closing the seed connection")?;
    Ok(())
}

fn events_sql(dialect: Dialect, lo: i64, hi: i64) -> String {
    let (with, from) = dialect.series(lo, hi);
    format!(
        "{with}INSERT INTO events (position, id, kind, dedupe_key, received_at, occurred_at, \
         contact_id, phone, raw_body, deliveries, last_seen_at) \
         SELECT {columns} FROM (SELECT i, {payload} AS p FROM {from}) AS n",
        columns = dialect.columns(),
        payload = dialect.payload(),
    )
}
