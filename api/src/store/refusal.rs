//! Telling a store that refuses what it is asked to keep from a store that fails.
//!
//! A refusal is about the data: PostgreSQL's data exceptions (SQLSTATE class 22), integrity
//! violations (23) and program limits (54, an index entry too large); SQLite's TOOBIG,
//! CONSTRAINT, MISMATCH and RANGE; a value the driver cannot encode. Retrying the same delivery
//! gets the same answer, so it is quarantined rather than answered 503 for ever. Anything else
//! (a lost connection, a lock timeout, a full disk, a busy database) may pass on a retry: the
//! store is unavailable, and the sender is asked to retry.

use sea_orm::sqlx::error::DatabaseError;
use sea_orm::sqlx::postgres::PgDatabaseError;
use sea_orm::sqlx::sqlite::SqliteError;
use sea_orm::{DbErr, RuntimeErr};

/// PostgreSQL's SQLSTATE classes that say the data was refused.
const POSTGRES_CLASSES: [&str; 3] = ["22", "23", "54"];

/// SQLite's primary result codes that say the data was refused: TOOBIG, CONSTRAINT, MISMATCH,
/// RANGE.
const SQLITE_CODES: [u32; 4] = [18, 19, 20, 25];

/// The store's own reason, when `err` is a refusal of the data rather than a failure.
pub fn reason(err: &DbErr) -> Option<String> {
    let (DbErr::Exec(RuntimeErr::SqlxError(cause)) | DbErr::Query(RuntimeErr::SqlxError(cause))) =
        err
    else {
        return None;
    };
    match cause.as_ref() {
        sea_orm::sqlx::Error::Encode(why) => Some(format!("a value cannot be encoded: {why}")),
        sea_orm::sqlx::Error::Database(refused) if refuses_data(refused.as_ref()) => {
            Some(match refused.code() {
                Some(code) => format!("{} (code {code})", refused.message()),
                None => refused.message().to_owned(),
            })
        }
        _ => None,
    }
}

fn refuses_data(err: &dyn DatabaseError) -> bool {
    if let Some(postgres) = err.as_error().downcast_ref::<PgDatabaseError>() {
        return POSTGRES_CLASSES
            .iter()
            .any(|class| postgres.code().starts_with(class));
    }
    if let Some(sqlite) = err.as_error().downcast_ref::<SqliteError>() {
        // Extended result codes keep the primary code in their low byte.
        return sqlite
            .code()
            .and_then(|code| code.parse::<u32>().ok())
            .is_some_and(|code| SQLITE_CODES.contains(&(code & 0xff)));
    }
    false
}
