//! The schema of mobiniti-events, one migration per step, the same on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_create_event_log;
mod m20261127_000002_create_projections;
mod m20261127_000003_create_quarantine_and_settings;
mod m20261127_000004_add_log_version;
mod m20261127_000005_index_changes_by_position;
mod m20261207_000006_add_contact_field_times;
mod m20261207_000007_create_persisted_queries;
mod m20261207_000008_drop_stored_payload;
mod support;

#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_event_log::Migration),
            Box::new(m20261127_000002_create_projections::Migration),
            Box::new(m20261127_000003_create_quarantine_and_settings::Migration),
            Box::new(m20261127_000004_add_log_version::Migration),
            Box::new(m20261127_000005_index_changes_by_position::Migration),
            Box::new(m20261207_000006_add_contact_field_times::Migration),
            Box::new(m20261207_000007_create_persisted_queries::Migration),
            Box::new(m20261207_000008_drop_stored_payload::Migration),
        ]
    }
}
