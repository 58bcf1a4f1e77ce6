//! Opening the store: durable settings for SQLite, timeouts so a dead store fails fast, and
//! writes on connections of their own, so readers cannot keep a webhook waiting for one.
//!
//! A store has two pools: `db` for reads (`--store-max-connections`) and `writer` for appends,
//! quarantine inserts, rebuilds and quarantine replays. Reads on PostgreSQL are cut off by the
//! server after `--read-statement-timeout`; writes are not, as a rebuild lasts as long as the
//! log is long.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::PgDatabaseError;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DbBackend, DbErr, RuntimeErr};

use super::migrate::is_sqlite_busy;
use super::{Store, StoreError};

/// The pause before opening a SQLite file again that another process was switching to WAL.
const SQLITE_OPEN_RETRY: Duration = Duration::from_millis(20);

/// The page cache of the SQLite connection that appends: 8 MiB, used as batches need it. Every
/// commit walks the cache's whole hash table (`pcache1TruncateUnsafe`, 7% of ingest's samples at
/// 64 MiB), so a cache larger than a batch needs costs each commit; the cache spills to the WAL
/// only when it is full of one transaction's dirty pages.
const WRITER_CACHE_KIB: u32 = 8 * 1024;

/// How much of a SQLite file reads may map.
const MMAP_BYTES: u64 = 1 << 30;

/// WAL pages after which a commit checkpoints by itself, 64 MiB of 4 KiB pages.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 16_384;

/// The size a WAL file is cut back to after a checkpoint reset it.
const JOURNAL_SIZE_LIMIT_BYTES: u64 = 64 << 20;

/// The connections of the PostgreSQL pool that writes. Appends are serialized (one group-commit
/// task, and the `log_head` row lock every write takes, quarantine inserts included), so more
/// connections would only queue on that lock; the second lets a quarantine insert or the next
/// batch wait on the lock, rather than for a connection, while a batch commits.
const POSTGRES_WRITER_CONNECTIONS: u32 = 2;

/// PostgreSQL's SQLSTATE `query_canceled`: what a statement cut off by `statement_timeout` fails
/// with.
const QUERY_CANCELED: &str = "57014";

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://…` or `postgres://…`.
    pub url: String,
    /// How long a statement may wait for a connection or a lock before the store counts as
    /// unavailable.
    pub timeout: Duration,
    /// The size of the read pool.
    pub max_connections: u32,
    /// How long one statement of the read pool may run on PostgreSQL before the server cancels
    /// it; zero: as long as it takes. SQLite has no such limit (see `Config`).
    pub read_statement_timeout: Duration,
}

impl StoreOptions {
    /// The same store opened for reading only: a SQLite file is opened `mode=ro`, so a
    /// missing file is an error rather than created. PostgreSQL URLs are kept; the caller
    /// only reads.
    pub fn read_only(mut self) -> Self {
        if !self.url.starts_with("sqlite:") {
            return self;
        }
        let (path, query) = self.url.split_once('?').unwrap_or((&self.url, ""));
        let mut parameters: Vec<&str> = query
            .split('&')
            .filter(|parameter| !parameter.is_empty() && !parameter.starts_with("mode="))
            .collect();
        parameters.push("mode=ro");
        self.url = format!("{path}?{}", parameters.join("&"));
        self
    }
}

/// The display of the last error in `err`'s chain of sources.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// SQLSTATE `invalid_catalog_name`: the database named in the URL does not exist.
const UNKNOWN_DATABASE: &str = "3D000";

/// Why the store at `url` could not be opened, with what to do about it where the database's
/// own words leave a newcomer guessing.
fn connect_failure(url: &str, err: &DbErr) -> String {
    if let DbErr::Conn(RuntimeErr::SqlxError(cause)) = err
        && let sea_orm::sqlx::Error::Database(cause) = cause.as_ref()
        && let Some(cause) = cause.try_downcast_ref::<PgDatabaseError>()
    {
        // The message alone: its display adds the line of PostgreSQL's C source that raised it.
        let message = cause.message();
        if cause.code() == UNKNOWN_DATABASE {
            let name = message.split('"').nth(1).unwrap_or("NAME");
            return format!(
                "{message}: create it with `createdb {name}`, or point DATABASE_URL at an \
                 existing database"
            );
        }
        return message.to_owned();
    }
    let cause = root_cause(err);
    match sqlite_file_hint(url) {
        Some(hint) => format!("{cause}: {hint}"),
        None => cause,
    }
}

/// What the file system says about the SQLite file of `url`, when it explains a failure to
/// open it: SQLite says only "unable to open database file". A missing file is not created
/// unless the URL asks for it (`mode=rwc`), so that a mistyped path fails rather than starting
/// on an empty store.
fn sqlite_file_hint(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    let file = std::path::Path::new(path);
    if file.exists() {
        return None;
    }
    if let Some(folder) = file
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
        && !folder.is_dir()
    {
        return Some(format!(
            "the folder {} does not exist; create it first",
            folder.display()
        ));
    }
    let mode = query
        .split('&')
        .find_map(|parameter| parameter.strip_prefix("mode="));
    match mode {
        Some("rwc" | "memory") => None,
        Some("ro") => Some(format!("the file {path} does not exist")),
        _ => {
            let separator = if query.is_empty() { '?' } else { '&' };
            Some(format!(
                "the file {path} does not exist; to create it, add `mode=rwc` to the URL: \
                 {url}{separator}mode=rwc"
            ))
        }
    }
}

impl Store {
    /// Opens a pool on the store. Runs no migration: call [`Store::migrate`].
    pub async fn connect(options: &StoreOptions) -> Result<Self, StoreError> {
        let open = |settings: ConnectOptions| async move {
            let deadline = Instant::now() + options.timeout;
            loop {
                match Database::connect(settings.clone()).await {
                    Ok(pool) => return Ok(pool),
                    // Processes opening a new SQLite file together race to switch it to WAL,
                    // and SQLite answers the loser "database is locked" at once, without the
                    // busy timeout: the switch would otherwise deadlock. Asked again, it finds
                    // the file in WAL already.
                    Err(err) if is_sqlite_busy(&err) && Instant::now() < deadline => {
                        tokio::time::sleep(SQLITE_OPEN_RETRY).await;
                    }
                    Err(err) => {
                        return Err(StoreError::Connect {
                            url: redact_password(&options.url),
                            reason: connect_failure(&options.url, &err),
                        });
                    }
                }
            }
        };
        let mut db = open(connect_options(
            options,
            options.max_connections,
            None,
            options.read_statement_timeout,
        ))
        .await?;
        // Appends are serialized, so on SQLite they get one connection of their own: its page
        // cache stays warm from one batch to the next, and large enough to hold a batch's
        // pages (the default 2 MiB spills to the WAL mid-transaction). On PostgreSQL the writer
        // is a small pool apart from the reads, so slow reads that hold every connection of
        // theirs do not keep a webhook from being stored.
        let sqlite = db.get_database_backend() == DbBackend::Sqlite;
        let mut writer = if sqlite {
            open(connect_options(
                options,
                1,
                Some(WRITER_CACHE_KIB),
                Duration::ZERO,
            ))
            .await?
        } else {
            open(connect_options(
                options,
                POSTGRES_WRITER_CONNECTIONS,
                None,
                Duration::ZERO,
            ))
            .await?
        };
        // Not counted in `statements`, which measures the work of requests.
        let checkpointer = if sqlite {
            Some(open(connect_options(options, 1, None, Duration::ZERO)).await?)
        } else {
            None
        };
        let statements = Arc::new(AtomicU64::new(0));
        for pool in [&mut db, &mut writer] {
            let counted = Arc::clone(&statements);
            pool.set_metric_callback(move |_| {
                counted.fetch_add(1, Ordering::Relaxed);
            });
        }
        Ok(Self {
            db,
            writer,
            checkpointer,
            statements,
            commits: Arc::default(),
            appends: Arc::default(),
        })
    }
}

/// How a pool connects. `statement_timeout` is PostgreSQL's, zero meaning none; it is set even
/// then, so that a default of the role or the database cannot cut off a rebuild.
fn connect_options(
    options: &StoreOptions,
    max_connections: u32,
    cache_kib: Option<u32>,
    statement_timeout: Duration,
) -> ConnectOptions {
    let timeout = options.timeout;
    let mut connect = ConnectOptions::new(options.url.clone());
    connect
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(timeout)
        .connect_timeout(timeout)
        .sqlx_logging(false)
        // WAL lets readers run beside the writer; FULL makes every commit durable before a
        // webhook is answered 200.
        .map_sqlx_sqlite_opts(move |sqlite| {
            let sqlite = sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(timeout)
                .foreign_keys(true)
                // Statement journals (every multi-row write keeps one) stay in memory rather
                // than in a temporary file written and read back.
                .pragma("temp_store", "memory")
                // Reads map the file instead of copying each page through a system call; the
                // mapping costs address space, and memory only for pages in use.
                .pragma("mmap_size", MMAP_BYTES.to_string())
                // Checkpoints run beside the appends (see `checkpoint.rs`); this bound only
                // matters if they stop keeping up.
                .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
                .pragma("journal_size_limit", JOURNAL_SIZE_LIMIT_BYTES.to_string());
            match cache_kib {
                // A negative size is in KiB.
                Some(kib) => sqlite.pragma("cache_size", format!("-{kib}")),
                None => sqlite,
            }
        })
        .map_sqlx_postgres_opts(move |postgres| {
            postgres.options([
                // A webhook waiting on the append lock longer than this is answered 503 and
                // retried by its sender, rather than held open.
                ("lock_timeout", milliseconds(timeout)),
                ("statement_timeout", milliseconds(statement_timeout)),
            ])
        });
    connect
}

/// A duration as PostgreSQL's settings take it, rounded up to a whole millisecond: rounding a
/// short one down would make it 0, which turns the limit off.
fn milliseconds(duration: Duration) -> String {
    format!("{}ms", duration.as_nanos().div_ceil(1_000_000))
}

impl StoreError {
    /// Whether PostgreSQL cancelled the statement: on a read, `--read-statement-timeout` (or
    /// an operator's `pg_cancel_backend`, which fails it the same way).
    pub fn is_read_timeout(&self) -> bool {
        let Self::Unavailable(
            DbErr::Exec(RuntimeErr::SqlxError(cause))
            | DbErr::Query(RuntimeErr::SqlxError(cause))
            | DbErr::Conn(RuntimeErr::SqlxError(cause)),
        ) = self
        else {
            return false;
        };
        match cause.as_ref() {
            sea_orm::sqlx::Error::Database(err) => err
                .try_downcast_ref::<PgDatabaseError>()
                .is_some_and(|err| err.code() == QUERY_CANCELED),
            _ => false,
        }
    }
}

/// `postgres://user:secret@host/db` becomes `postgres://user:***@host/db`.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_only(url: &str) -> String {
        StoreOptions {
            url: url.to_owned(),
            timeout: Duration::from_secs(1),
            max_connections: 1,
            read_statement_timeout: Duration::ZERO,
        }
        .read_only()
        .url
    }

    #[test]
    fn read_only_opens_sqlite_files_without_creating_them() {
        assert_eq!(
            read_only("sqlite://mobiniti-events.db?mode=rwc"),
            "sqlite://mobiniti-events.db?mode=ro"
        );
        assert_eq!(read_only("sqlite://a.db"), "sqlite://a.db?mode=ro");
        assert_eq!(
            read_only("sqlite:///tmp/a.db?cache=shared&mode=rwc"),
            "sqlite:///tmp/a.db?cache=shared&mode=ro"
        );
        assert_eq!(read_only("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn a_missing_sqlite_file_says_how_to_create_it() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let file = dir.path().join("x.db");
        let url = format!("sqlite://{}", file.display());
        let hint = sqlite_file_hint(&url).expect("a hint");
        assert!(hint.ends_with(&format!("{url}?mode=rwc")), "{hint}");
        assert_eq!(sqlite_file_hint(&format!("{url}?mode=rwc")), None);
        let hint = sqlite_file_hint(&format!("{url}?mode=ro")).expect("a hint");
        assert!(!hint.contains("rwc"), "{hint}");
        let nested = format!("sqlite://{}?mode=rwc", dir.path().join("a/b.db").display());
        let hint = sqlite_file_hint(&nested).expect("a hint");
        assert!(hint.contains("folder"), "{hint}");
        std::fs::write(&file, b"").expect("create the file");
        assert_eq!(sqlite_file_hint(&url), None);
    }

    #[test]
    fn durations_are_given_to_postgres_in_whole_milliseconds_never_rounded_to_zero() {
        assert_eq!(milliseconds(Duration::from_secs(30)), "30000ms");
        assert_eq!(milliseconds(Duration::from_micros(1_500)), "2ms");
        assert_eq!(milliseconds(Duration::from_micros(1)), "1ms");
        assert_eq!(milliseconds(Duration::ZERO), "0ms");
    }

    #[test]
    fn passwords_are_removed_from_urls() {
        assert_eq!(
            redact_password("postgres://u:pw@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_password("sqlite://a.db?mode=rwc"),
            "sqlite://a.db?mode=rwc"
        );
    }
}
