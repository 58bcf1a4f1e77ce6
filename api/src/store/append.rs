//! Appending deliveries to the log, with their projections, in one transaction per batch.
//!
//! Each transaction starts by writing the `log_head` row. On PostgreSQL that row lock serializes
//! appends across connections and replicas; on SQLite the write takes the database's write lock
//! before anything is read, so a transaction never has to upgrade a read snapshot (which SQLite
//! refuses without waiting). Under that lock positions are handed out in commit order with no
//! gap, and the dedupe check cannot race another append.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use entity::{events, log_head};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QuerySelect, TransactionTrait,
};
use sea_orm::{DbBackend, Statement};
use uuid::Uuid;

use super::{Store, StoreError, projections, refusal};
use crate::domain::event::NewEvent;

/// Where a delivery landed in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub event_id: Uuid,
    pub position: i64,
    /// The delivery had been stored before; `event_id` and `position` are the original's.
    pub duplicate: bool,
}

impl Store {
    /// Appends a batch of deliveries and applies their projections, all in one transaction.
    /// Returns one outcome per delivery, in order, once the transaction has committed; or
    /// [`StoreError::Refused`] when the store refused something the batch holds (see
    /// `refusal.rs`), with nothing of the batch written.
    pub async fn append(&self, batch: &[NewEvent]) -> Result<Vec<Appended>, StoreError> {
        let appended = async {
            let txn = self.writer.begin().await?;
            let head = lock_head(&txn).await?;
            let written = append_in(&txn, head, batch).await?;
            txn.commit().await?;
            Ok(written)
        };
        let written = appended
            .await
            .map_err(|err: DbErr| match refusal::reason(&err) {
                Some(reason) => StoreError::Refused(reason),
                None => StoreError::Unavailable(err),
            })?;
        self.committed(&written);
        Ok(written.outcomes)
    }

    /// Tells this process's log tailer (and the checkpoint task) about a committed append.
    pub(super) fn committed(&self, written: &Written) {
        if written.wrote {
            self.appends.fetch_add(1, Ordering::Relaxed);
            self.commits.notify_one();
        }
    }
}

/// What [`append_in`] did.
pub(super) struct Written {
    pub outcomes: Vec<Appended>,
    /// Whether it wrote an event (and not only counted redeliveries).
    pub wrote: bool,
}

/// Appends `batch` in `txn`, which holds the append lock ([`lock_head`] gave `head`): see
/// [`Store::append`]. The caller commits, then calls [`Store::committed`].
pub(super) async fn append_in(
    txn: &DatabaseTransaction,
    head: i64,
    batch: &[NewEvent],
) -> Result<Written, DbErr> {
    let stored = stored_originals(txn, batch).await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut fresh: Vec<Fresh> = Vec::with_capacity(batch.len());
    let mut fresh_by_key: HashMap<&str, usize> = HashMap::new();
    let mut redelivered: BTreeMap<i64, Redelivery> = BTreeMap::new();
    let mut position = head;
    for event in batch {
        if let Some(&(original, event_id)) = stored.get(&event.dedupe_key) {
            let again = redelivered.entry(original).or_insert(Redelivery {
                count: 0,
                last_seen_at: event.received_at,
            });
            again.count += 1;
            again.last_seen_at = event.received_at;
            outcomes.push(Appended {
                event_id,
                position: original,
                duplicate: true,
            });
        } else if let Some(&index) = fresh_by_key.get(event.dedupe_key.as_str()) {
            let original = &mut fresh[index];
            original.deliveries += 1;
            original.last_seen_at = event.received_at;
            outcomes.push(Appended {
                event_id: original.event.id,
                position: original.position,
                duplicate: true,
            });
        } else {
            position += 1;
            fresh_by_key.insert(&event.dedupe_key, fresh.len());
            outcomes.push(Appended {
                event_id: event.id,
                position,
                duplicate: false,
            });
            fresh.push(Fresh {
                position,
                deliveries: 1,
                last_seen_at: event.received_at,
                event,
            });
        }
    }
    record_redeliveries(txn, redelivered).await?;
    let mut counts = projections::totals::Counts::default();
    let mut changes = projections::Changes::default();
    for row in &fresh {
        let event = &row.event;
        changes.add(row.position, event.id, event.received_at, &event.data);
    }
    changes.write(txn, &mut counts).await?;
    counts.write(txn).await?;
    insert_events(txn, fresh).await?;
    if position != head {
        log_head::Entity::update_many()
            .col_expr(log_head::Column::Position, Expr::value(position))
            .filter(log_head::Column::Id.eq(1))
            .exec(txn)
            .await?;
        notify_replicas(txn, position).await?;
    }
    Ok(Written {
        outcomes,
        wrote: position != head,
    })
}

/// A delivery new to the log, with the arrivals of it within its own batch.
struct Fresh<'a> {
    position: i64,
    deliveries: i32,
    last_seen_at: DateTime<Utc>,
    event: &'a NewEvent,
}

/// Arrivals, in one batch, of a delivery stored by an earlier one.
struct Redelivery {
    count: i32,
    last_seen_at: DateTime<Utc>,
}

impl Store {
    /// Appends one delivery; see [`Store::append`].
    pub async fn append_one(&self, event: NewEvent) -> Result<Appended, StoreError> {
        self.append(&[event]).await?.pop().ok_or_else(|| {
            StoreError::Unavailable(DbErr::Custom("the append returned no outcome".into()))
        })
    }
}

/// The PostgreSQL channel on which each append announces its last position, delivered at commit.
pub const NOTIFY_CHANNEL: &str = "mobiniti_events";

/// Wakes the log tailers of every process on the same PostgreSQL; on SQLite there is no other.
async fn notify_replicas(txn: &DatabaseTransaction, position: i64) -> Result<(), DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [NOTIFY_CHANNEL.into(), position.to_string().into()],
    ))
    .await?;
    Ok(())
}

/// Takes the append lock, moves the version (see [`Store::version`]) and returns the last
/// position handed out, in one statement.
pub(super) async fn lock_head(txn: &DatabaseTransaction) -> Result<i64, DbErr> {
    let backend = txn.get_database_backend();
    let row = txn
        .query_one_raw(Statement::from_string(
            backend,
            "UPDATE log_head SET version = version + 1 WHERE id = 1 RETURNING position",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the log_head row; run the migrations".into()))?;
    row.try_get_by_index(0)
}

/// The events already in the log with a dedupe key of the batch: key to (position, id).
async fn stored_originals(
    txn: &DatabaseTransaction,
    batch: &[NewEvent],
) -> Result<HashMap<String, (i64, Uuid)>, DbErr> {
    let mut originals = HashMap::new();
    for chunk in batch.chunks(projections::CHUNK) {
        let keys = chunk.iter().map(|event| event.dedupe_key.as_str());
        let rows: Vec<(i64, Uuid, String)> = events::Entity::find()
            .select_only()
            .columns([
                events::Column::Position,
                events::Column::Id,
                events::Column::DedupeKey,
            ])
            .filter(events::Column::DedupeKey.is_in(keys))
            .into_tuple()
            .all(txn)
            .await?;
        for (position, id, key) in rows {
            originals.insert(key, (position, id));
        }
    }
    Ok(originals)
}

/// Counts each arrival of an already stored delivery on its original.
async fn record_redeliveries(
    txn: &DatabaseTransaction,
    redelivered: BTreeMap<i64, Redelivery>,
) -> Result<(), DbErr> {
    for (position, again) in redelivered {
        events::Entity::update_many()
            .col_expr(
                events::Column::Deliveries,
                Expr::col(events::Column::Deliveries).add(again.count),
            )
            .col_expr(events::Column::LastSeenAt, Expr::value(again.last_seen_at))
            .filter(events::Column::Position.eq(position))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Copies what it writes: the batch stays whole, to be appended again delivery by delivery if
/// the store refuses it.
async fn insert_events(txn: &DatabaseTransaction, fresh: Vec<Fresh<'_>>) -> Result<(), DbErr> {
    let rows = fresh.into_iter().map(|row| {
        let event = row.event;
        let contact = event.data.contact();
        events::ActiveModel {
            position: Set(row.position),
            id: Set(event.id),
            kind: Set(event.kind.as_str().to_owned()),
            dedupe_key: Set(event.dedupe_key.clone()),
            received_at: Set(event.received_at),
            occurred_at: Set(event.data.occurred_at()),
            contact_id: Set(contact.map(|c| c.id.clone())),
            phone: Set(contact.map(|c| c.phone.clone())),
            raw_body: Set(event.raw_body.clone()),
            deliveries: Set(row.deliveries),
            last_seen_at: Set(row.last_seen_at),
        }
    });
    for chunk in projections::chunks(rows.collect()) {
        events::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::Utc;
    use serde_json::json;
    use uuid::Uuid;

    use crate::domain::category::Keywords;
    use crate::domain::dedupe;
    use crate::domain::event::NewEvent;
    use crate::domain::kind::WebhookKind;
    use crate::domain::payload::{self, Normalizer};
    use crate::domain::phone::PhoneNormalizer;

    /// The `n`th inbound text of one contact, ready to append.
    pub(crate) fn inbound(n: usize) -> NewEvent {
        let json = json!({
            "id": "c-1",
            "phone_number": "+13035550001",
            "message": format!("reply {n}"),
            "received_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
        });
        let normalizer = Normalizer {
            phones: PhoneNormalizer::new(phonenumber::country::Id::US),
            keywords: Keywords::new::<_, String>([]),
        };
        let kind = WebhookKind::InboundMessage;
        let data = payload::parse(kind, &json, &normalizer).expect("a valid payload");
        NewEvent {
            id: Uuid::now_v7(),
            kind,
            dedupe_key: dedupe::key(kind, &json, data.natural_key().as_deref()),
            received_at: Utc::now(),
            raw_body: json.to_string().into_bytes(),
            data,
        }
    }
}
