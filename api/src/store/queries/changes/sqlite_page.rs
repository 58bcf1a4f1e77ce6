//! On SQLite, a page of the log without payloads is read as one JSON array that SQLite builds.
//!
//! sqlx runs SQLite on a thread of its own and hands each row to the async side separately: a
//! wake-up, a copy of every value and a few allocations per row, which cost more than the row's
//! content when a subscriber catches up on hundreds of thousands of events. Built by SQLite, the
//! page is one value and one hand-off; serde reads it back. Anything in the page that is not as
//! the service writes it (a text id, a time in another format) makes the caller read the page
//! row by row instead, so the result never depends on which way it was read.

use chrono::{DateTime, Utc};
use entity::events;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use serde::Deserialize;
use uuid::Uuid;

const PAGE_AS_JSON: &str = "\
    SELECT json_group_array(json_array(position, \
        CASE typeof(id) WHEN 'blob' THEN hex(id) ELSE id END, \
        kind, dedupe_key, received_at, occurred_at, contact_id, phone, deliveries, last_seen_at)) \
    FROM (SELECT position, id, kind, dedupe_key, received_at, occurred_at, contact_id, phone, \
        deliveries, last_seen_at \
        FROM events WHERE position > ? ORDER BY position LIMIT ?)";

/// One event as the array above holds it.
#[derive(Deserialize)]
struct Row(
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i32,
    String,
);

/// Up to `limit` events after `after`, without their raw bodies (so without payloads); `None` if
/// a value is not in the form the service writes.
pub(super) async fn events_after(
    db: &DatabaseConnection,
    after: i64,
    limit: u64,
) -> Result<Option<Vec<events::Model>>, DbErr> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let page = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            PAGE_AS_JSON,
            [after.into(), limit.into()],
        ))
        .await?;
    let Some(page) = page else {
        return Ok(Some(Vec::new()));
    };
    let text: String = page.try_get_by_index(0)?;
    let Ok(rows) = serde_json::from_str::<Vec<Row>>(&text) else {
        return Ok(None);
    };
    let mut events = rows.into_iter().map(model).collect::<Option<Vec<_>>>();
    // SQLite aggregates in the subquery's order; sorting makes it certain, and costs one pass
    // over an ordered page.
    if let Some(events) = events.as_mut() {
        events.sort_by_key(|event| event.position);
    }
    Ok(events)
}

fn model(row: Row) -> Option<events::Model> {
    let Row(
        position,
        id,
        kind,
        dedupe_key,
        received_at,
        occurred_at,
        contact_id,
        phone,
        deliveries,
        last_seen_at,
    ) = row;
    Some(events::Model {
        position,
        id: Uuid::try_parse(&id).ok()?,
        kind,
        dedupe_key,
        received_at: time(&received_at)?,
        occurred_at: match occurred_at {
            Some(text) => Some(time(&text)?),
            None => None,
        },
        contact_id,
        phone,
        raw_body: Vec::new(),
        deliveries,
        last_seen_at: time(&last_seen_at)?,
    })
}

fn time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}
