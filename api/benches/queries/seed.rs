//! Fills a freshly migrated store with the benchmark's data set, in SQL and in the store itself
//! (PostgreSQL: `INSERT … SELECT` from `generate_series`; SQLite: a recursive CTE), in one
//! transaction, so that a million messages take seconds rather than a million webhooks.
//!
//! Every value is a function of the row number `i`, so both stores hold the same rows:
//! - contact `i` has the phone `+1202` followed by 7 digits (unique up to 7,000,000 contacts),
//!   5% are unsubscribed, 2% have bounces, and `updated_at` is spread over 2025;
//! - message `i` is an inbound `reply` from contact `k(i)` when `i` is even, else an outbound
//!   message to that contact's phone with no `contact_id`, `occurred_at` spread over a year;
//! - each outbound message has one delivery status `{message_id}:{phone}`, code `100` for 80%
//!   of them, `200` and `300` for 10% each, reported a minute after the message;
//! - the `totals` rows count what the contacts table holds.

use std::time::Instant;

use anyhow::{Context, ensure};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, TransactionTrait};

/// How many rows to write.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub contacts: i64,
    pub messages: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

/// 2025-01-01T00:00:00Z: every seeded time is this plus some seconds.
const EPOCH: i64 = 1_735_689_600;
const YEAR_SECONDS: i64 = 365 * 24 * 3600;
/// Messages are written in this many statements, for progress.
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

    /// The time `seconds` (an SQL expression) after [`EPOCH`], stored as the service stores it:
    /// `timestamptz` on PostgreSQL; on SQLite the text sqlx writes for a `DateTime<Utc>`
    /// (RFC 3339, `+00:00`, no fraction on a whole second, as in `2025-03-01T10:00:00+00:00`),
    /// so seeded rows sort among and compare with the service's own.
    fn time(self, seconds: &str) -> String {
        match self {
            Self::Postgres => format!("to_timestamp({EPOCH} + ({seconds}))"),
            Self::Sqlite => format!(
                "strftime('%Y-%m-%dT%H:%M:%S', {EPOCH} + ({seconds}), 'unixepoch') || '+00:00'"
            ),
        }
    }
}

/// Mobiniti's id of contact `n` (an SQL expression), UUID-shaped like the real ones.
fn contact_id(n: &str) -> String {
    format!("'c0000000-0000-4000-8000-' || (100000000000 + {n})")
}

/// The E.164 phone of contact `n`: distinct for distinct `n`, not in id order.
fn phone(n: &str) -> String {
    format!("'+1202' || (2000000 + ({n} * 7919) % 7000000)")
}

/// The id of message `i`: an event id for an inbound one, Mobiniti's id for an outbound one.
const MESSAGE_ID: &str = "CASE WHEN i % 2 = 0 THEN '01900000-0000-7000-8000-' \
     ELSE 'a0000000-0000-4000-8000-' END || (100000000000 + i)";

/// Writes the data set into the migrated store at `url` and analyzes it.
pub async fn seed(url: &str, dialect: Dialect, size: Size) -> anyhow::Result<()> {
    ensure!(
        size.contacts > 0 && size.contacts <= 7_000_000 && size.messages >= CHUNKS,
        "the data set needs 1 to 7,000,000 contacts and at least {CHUNKS} messages"
    );
    let mut options = ConnectOptions::new(url.to_owned());
    options.max_connections(1).sqlx_logging(false);
    let db = Database::connect(options)
        .await
        .context("connecting to the store to seed it")?;
    if dialect == Dialect::Sqlite {
        // A bigger page cache keeps the index inserts in memory.
        db.execute_unprepared("PRAGMA cache_size = -262144")
            .await
            .context("setting SQLite's cache size")?;
    }
    let started = Instant::now();
    let txn = db.begin().await.context("starting the seed transaction")?;
    txn.execute_unprepared(&contacts_sql(dialect, size))
        .await
        .context("inserting contacts")?;
    println!(
        "  {:>9} contacts ({:.1?})",
        size.contacts,
        started.elapsed()
    );
    let step = (YEAR_SECONDS / size.messages).max(1);
    let chunk = (size.messages + CHUNKS - 1) / CHUNKS;
    for lo in (1..=size.messages).step_by(chunk as usize) {
        let hi = (lo + chunk - 1).min(size.messages);
        txn.execute_unprepared(&messages_sql(dialect, size, step, lo, hi))
            .await
            .context("inserting messages")?;
        txn.execute_unprepared(&statuses_sql(dialect, size, step, lo, hi))
            .await
            .context("inserting delivery statuses")?;
        println!(
            "  {hi:>9} messages and their delivery statuses ({:.1?})",
            started.elapsed()
        );
    }
    txn.execute_unprepared(TOTALS_SQL)
        .await
        .context("inserting totals")?;
    txn.commit().await.context("committing the seed")?;
    // PostgreSQL: statistics and the visibility map, as autovacuum would leave them. SQLite:
    // statistics, and the write-ahead log folded into the database file now rather than by the
    // first checkpoint during a measurement.
    let finish: &[&str] = match dialect {
        Dialect::Postgres => &["VACUUM (ANALYZE)"],
        Dialect::Sqlite => &["ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)"],
    };
    for statement in finish {
        db.execute_unprepared(statement)
            .await
            .with_context(|| format!("running {statement} on the seeded store"))?;
    }
    println!("  committed and analyzed ({:.1?})", started.elapsed());
    db.close().await.context("closing the seed connection")?;
    Ok(())
}

fn contacts_sql(dialect: Dialect, size: Size) -> String {
    let (with, from) = dialect.series(1, size.contacts);
    let created = "(i * 104729) % 15768000";
    let updated = format!("{created} + (i * 7) % 15768000");
    format!(
        "{with}INSERT INTO contacts (id, first_name, last_name, email, phone, subscribed, \
         unsubscribed_at, bounces, carrier_status, created_at, updated_at, source_position, \
         last_event_position) \
         SELECT {id}, 'Pat' || i, 'Doe' || (i % 997), 'contact' || i || '@example.com', {phone}, \
         i % 20 <> 0, CASE WHEN i % 20 = 0 THEN {updated_at} END, \
         CASE WHEN i % 50 = 0 THEN 1 + i % 3 ELSE 0 END, \
         CASE WHEN i % 500 = 0 THEN 'deactivated' END, {created_at}, {updated_at}, i, i \
         FROM {from}",
        id = contact_id("i"),
        phone = phone("i"),
        created_at = dialect.time(created),
        updated_at = dialect.time(&updated),
    )
}

/// Rows `i` from `lo` to `hi` with `k`, the contact message `i` is to or from.
fn numbered(dialect: Dialect, size: Size, lo: i64, hi: i64) -> (String, String) {
    let (with, from) = dialect.series(lo, hi);
    let rows = format!(
        "(SELECT i, (i * 48271) % {contacts} + 1 AS k FROM {from}) AS n",
        contacts = size.contacts
    );
    (with, rows)
}

fn messages_sql(dialect: Dialect, size: Size, step: i64, lo: i64, hi: i64) -> String {
    let (with, rows) = numbered(dialect, size, lo, hi);
    format!(
        "{with}INSERT INTO messages (id, direction, body, phone, short_code, sender, contact_id, \
         category, occurred_at, event_position) \
         SELECT {MESSAGE_ID}, CASE WHEN i % 2 = 0 THEN 'inbound' ELSE 'outbound' END, \
         CASE WHEN i % 2 = 0 THEN 'Yes please, tell me more about offer ' || (i % 1000) \
         ELSE 'Flash sale: 20% off everything this weekend with code SAVE' || (i % 1000) END, \
         {phone}, CASE WHEN i % 2 = 0 THEN '64600' END, CASE WHEN i % 2 = 1 THEN '64600' END, \
         CASE WHEN i % 2 = 0 THEN {contact} END, CASE WHEN i % 2 = 0 THEN 'reply' END, \
         {occurred_at}, i \
         FROM {rows}",
        phone = phone("k"),
        contact = contact_id("k"),
        occurred_at = dialect.time(&format!("i * {step}")),
    )
}

fn statuses_sql(dialect: Dialect, size: Size, step: i64, lo: i64, hi: i64) -> String {
    let (with, rows) = numbered(dialect, size, lo, hi);
    format!(
        "{with}INSERT INTO delivery_statuses (id, message_id, recipient, code, status, success, \
         bounce, reported_at, event_position) \
         SELECT message_id || ':' || recipient, message_id, recipient, code, \
         CASE code WHEN '100' THEN 'The message delivered successfully.' \
         WHEN '200' THEN 'The message could not be delivered.' \
         ELSE 'The carrier rejected the message.' END, \
         code = '100', code = '300', {reported_at}, {messages} + i \
         FROM (SELECT i, {MESSAGE_ID} AS message_id, {phone} AS recipient, \
         CASE WHEN (i / 2) % 10 < 8 THEN '100' WHEN (i / 2) % 10 = 8 THEN '200' ELSE '300' END \
         AS code FROM {rows} WHERE i % 2 = 1) AS o",
        phone = phone("k"),
        reported_at = dialect.time(&format!("i * {step} + 60")),
        messages = size.messages,
    )
}

/// The counts the projections keep, as the contacts table has them.
const TOTALS_SQL: &str = "INSERT INTO totals (name, value) \
     SELECT 'contacts', COUNT(*) FROM contacts \
     UNION ALL SELECT 'contacts_subscribed', COUNT(*) FROM contacts WHERE subscribed \
     UNION ALL SELECT 'contacts_bounced', COUNT(*) FROM contacts WHERE bounces > 0";
