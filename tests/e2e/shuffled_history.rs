//! The projections do not depend on the order deliveries arrive in: a generated history of all
//! six kinds, posted through the webhook route in several random orders (some deliveries side
//! by side, so they share a transaction), leaves the same contacts, messages, delivery
//! statuses, rejections and totals, apart from positions and receive times; and so does a
//! history half of which waited in the quarantine for `replay-quarantine`. `rebuild` gives
//! back exactly the tables that ingest built.
//!
//! `SHUFFLE_CASES` sets how many histories (200 by default), `SHUFFLE_SEED` replays the run a
//! failure names.

mod history;

use api::store::Store;
use clap::Parser;
use entity::{contacts, delivery_statuses, events, messages, quarantine, rejections, totals};
use futures_util::future::join_all;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::support::{Backend, Projections, TestApp, spawn_app};
use history::Delivery;

on_every_store!(shuffled_histories_leave_the_same_tables);

/// Orders each history is posted in: as generated, and shuffled twice.
const ORDERS: usize = 3;

/// Deliveries posted side by side.
const SIDE_BY_SIDE: usize = 3;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

async fn shuffled_histories_leave_the_same_tables(backend: Backend) {
    let app = spawn_app(backend).await;
    let db = app.store().await;
    let cli = api::cli::Cli::try_parse_from(["mobiniti-events", "--database-url", &app.db.url])
        .expect("flags parse");
    let store = Store::connect(&cli.config.store_options())
        .await
        .expect("open the store");
    let normalizer = cli.config.normalizer();
    let seed = env_number("SHUFFLE_SEED", rand_seed());
    let cases = u32::try_from(env_number("SHUFFLE_CASES", 200)).unwrap_or(u32::MAX);
    let config = Config {
        cases,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Config::default()
    };
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let handle = tokio::runtime::Handle::current();
    let strategy = history::history().prop_flat_map(|deliveries| {
        let shuffles =
            proptest::collection::vec(Just(deliveries.clone()).prop_shuffle(), ORDERS - 1);
        (Just(deliveries), shuffles)
    });
    let result = tokio::task::block_in_place(|| {
        runner.run(&strategy, |(history, shuffles)| {
            handle.block_on(async {
                let mut orders = vec![history];
                orders.extend(shuffles);
                let mut first: Option<Tables> = None;
                for (index, order) in orders.iter().enumerate() {
                    reset(&db).await;
                    if index + 1 == ORDERS {
                        // Half of it as an older version may have left it: in the quarantine,
                        // replayed after the rest arrived.
                        let (posted, quarantined): (Vec<_>, Vec<_>) = order
                            .iter()
                            .cloned()
                            .enumerate()
                            .partition(|(i, _)| i % 2 == 0);
                        post_all(
                            &app,
                            &posted.into_iter().map(|(_, d)| d).collect::<Vec<_>>(),
                        )
                        .await;
                        quarantine_all(&db, quarantined.into_iter().map(|(_, d)| d)).await;
                        api::commands::replay_quarantine(&cli.config)
                            .await
                            .expect("replay");
                    } else {
                        post_all(&app, order).await;
                    }
                    let tables = Tables::read(&db).await;
                    if index == 0 {
                        let ingested = Projections::read(&db).await;
                        store
                            .rebuild(&normalizer, |_, _| {})
                            .await
                            .expect("rebuild");
                        let rebuilt = Projections::read(&db).await;
                        prop_assert_eq!(ingested, rebuilt, "rebuild differs from ingest");
                    }
                    match &first {
                        None => first = Some(tables),
                        Some(first) => prop_assert_eq!(
                            first,
                            &tables,
                            "order {} differs from the first",
                            index
                        ),
                    }
                }
                Ok(())
            })
        })
    });
    if let Err(failure) = result {
        panic!("{failure}\nreplay with SHUFFLE_SEED={seed}");
    }
}

fn rand_seed() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_nanos() as u64)
        .unwrap_or(1)
}

/// Empties the log and every table, for the next order of the same history.
async fn reset(db: &DatabaseConnection) {
    for table in [
        "delivery_statuses",
        "messages",
        "rejections",
        "contacts",
        "totals",
        "events",
        "quarantine",
    ] {
        db.execute_unprepared(&format!("DELETE FROM {table}"))
            .await
            .expect("empty a table");
    }
    db.execute_unprepared("UPDATE log_head SET position = 0")
        .await
        .expect("reset the head");
}

async fn post_all(app: &TestApp, order: &[Delivery]) {
    for together in order.chunks(SIDE_BY_SIDE) {
        let answers = join_all(together.iter().map(|delivery| async move {
            let response = app.post(delivery.kind, delivery.body.clone()).await;
            (response.status(), response.text().await.unwrap_or_default())
        }))
        .await;
        for ((status, text), delivery) in answers.into_iter().zip(together) {
            assert_eq!(status, 200, "{}: {text}\n{}", delivery.kind, delivery.body);
        }
    }
}

/// Puts deliveries in the quarantine, as a version that refused them would have.
async fn quarantine_all(db: &DatabaseConnection, deliveries: impl Iterator<Item = Delivery>) {
    for delivery in deliveries {
        quarantine::Entity::insert(quarantine::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            kind: Set(delivery.kind.to_owned()),
            received_at: Set(chrono::Utc::now()),
            content_type: Set(None),
            raw_body: Set(delivery.body.into_bytes()),
            error_code: Set("invalid_payload".to_owned()),
            error_message: Set("refused by an older version".to_owned()),
        })
        .exec_without_returning(db)
        .await
        .expect("quarantine a delivery");
    }
}

/// What must not depend on arrival: every row without its positions, receive times and the
/// ids drawn at arrival (an inbound text's and a rejection's id is its event's).
#[derive(Debug, PartialEq, Eq)]
struct Tables {
    events: u64,
    quarantined: u64,
    contacts: Vec<contacts::Model>,
    messages: Vec<String>,
    statuses: Vec<delivery_statuses::Model>,
    rejections: Vec<(String, String, String)>,
    totals: Vec<(String, i64)>,
}

impl Tables {
    async fn read(db: &DatabaseConnection) -> Self {
        let contacts = contacts::Entity::find()
            .all(db)
            .await
            .expect("read contacts")
            .into_iter()
            .map(|contact| contacts::Model {
                source_position: 0,
                last_event_position: 0,
                ..contact
            });
        let mut messages: Vec<String> = messages::Entity::find()
            .all(db)
            .await
            .expect("read messages")
            .into_iter()
            .map(|message| {
                let outbound = message.direction == "outbound";
                format!(
                    "{} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                    message.direction,
                    if outbound { message.id.as_str() } else { "" },
                    message.body,
                    message.phone,
                    message.short_code,
                    message.sender,
                    message.contact_id,
                    message.category,
                    message.metadata,
                    (!outbound).then_some(message.occurred_at),
                )
            })
            .collect();
        messages.sort();
        let mut statuses: Vec<_> = delivery_statuses::Entity::find()
            .all(db)
            .await
            .expect("read delivery statuses")
            .into_iter()
            .map(|status| delivery_statuses::Model {
                reported_at: chrono::DateTime::UNIX_EPOCH,
                event_position: 0,
                ..status
            })
            .collect();
        statuses.sort_by(|a, b| a.id.cmp(&b.id));
        let mut contacts: Vec<_> = contacts.collect();
        contacts.sort_by(|a, b| a.id.cmp(&b.id));
        Self {
            events: events::Entity::find()
                .count(db)
                .await
                .expect("count events"),
            quarantined: quarantine::Entity::find().count(db).await.expect("count"),
            contacts,
            messages,
            statuses,
            rejections: sorted(
                rejections::Entity::find()
                    .all(db)
                    .await
                    .expect("read rejections")
                    .into_iter()
                    .map(|rejection| (rejection.code, rejection.message, rejection.description))
                    .collect(),
            ),
            totals: sorted(
                totals::Entity::find()
                    .all(db)
                    .await
                    .expect("read totals")
                    .into_iter()
                    .filter(|total| total.value != 0)
                    .map(|total| (total.name, total.value))
                    .collect(),
            ),
        }
    }
}

fn sorted<T: Ord>(mut rows: Vec<T>) -> Vec<T> {
    rows.sort();
    rows
}
