//! End-to-end tests: the real router on a random port of 127.0.0.1, a real HTTP client, a real
//! database (a fresh SQLite file per test, and a fresh PostgreSQL database per test when
//! `TEST_DATABASE_URL` is set).

#[macro_use]
mod support;

mod answer_order;
mod architecture;
mod auth_abuse;
mod browser_clients;
mod cli;
mod crash;
mod dashboard;
mod dedupe;
mod delivery_reports;
mod derivation_settings;
mod durability;
mod failures;
mod graphql;
mod graphql_access;
mod graphql_cache;
mod graphql_contract;
mod graphql_dashboard;
mod graphql_http_status;
mod group_commit;
mod hostile_clients;
mod hostile_graphql;
mod idle_connections;
mod in_process;
mod live_limits;
mod log_reads;
mod logs;
mod metrics;
mod migrate_together;
mod origins;
mod outage;
mod persisted_documents;
mod poison;
mod projections;
mod quarantine_replay;
mod read_isolation;
mod readme_codes;
mod rebuild;
mod replicas;
mod shared_subscriptions;
mod shuffled_history;
mod simulate;
mod slow_consumers;
mod sse;
mod sse_slow_consumers;
mod stalls;
mod stats;
mod subscriptions;
mod unauthenticated_cost;
mod upgrade;
mod webhooks;
mod ws_protocol;
