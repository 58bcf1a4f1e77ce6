//! The flags: one clap struct, every flag also read from an environment variable. The
//! commands that take them are `crate::cli`'s.

use std::net::SocketAddr;
use std::time::Duration;

mod derived;
mod values;

use values::{parse_duration, parse_period, parse_public_url};

use crate::domain::phone::parse_region;
use crate::graphql::{ApiKey, Limits};
use crate::logging::LogFormat;
use crate::origins::parse_origin;
use crate::webhooks::WebhookToken;

/// Webhook tokens live at once: the one in Mobiniti's URLs, and while those are being changed,
/// the next.
const MAX_WEBHOOK_TOKENS: usize = 2;

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// The store: `sqlite://FILE?mode=rwc` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://mobiniti-events.db?mode=rwc",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,

    /// The address to listen on. Use 0.0.0.0:8080 to accept connections from other hosts, which
    /// needs `--api-key` (or `--insecure-open-api`).
    #[arg(
        long,
        env = "LISTEN_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: SocketAddr,

    /// Webhook tokens, comma-separated: one, or two while Mobiniti's URLs are being changed.
    /// Unset: one is generated on first start and kept in the store.
    #[arg(
        long,
        env = "WEBHOOK_TOKEN",
        value_delimiter = ',',
        global = true,
        hide_env_values = true
    )]
    pub webhook_token: Vec<WebhookToken>,

    /// The base URL Mobiniti reaches this service at, for the webhook URLs printed at start-up
    /// (for example https://hooks.example.com). Default: the listen address.
    #[arg(long, env = "PUBLIC_URL", value_parser = parse_public_url, global = true)]
    pub public_url: Option<String>,

    /// The region of phone numbers written without a country code (ISO 3166-1 alpha-2). Kept
    /// in the store by the first process that derives from it (US if not given); unset: the
    /// store's. A value that differs from the store's is refused: `settings set` changes it.
    #[arg(long, env = "DEFAULT_REGION", value_parser = parse_region, global = true)]
    pub default_region: Option<phonenumber::country::Id>,

    /// The largest webhook body accepted, in bytes; a larger one is answered 413.
    #[arg(long, env = "WEBHOOK_BODY_LIMIT", default_value_t = 1024 * 1024, global = true)]
    pub webhook_body_limit: usize,

    /// How long a request may wait for the store (a connection or a lock) before it is answered
    /// 503, for example `5s` or `500ms`.
    #[arg(long, env = "STORE_TIMEOUT", default_value = "5s", value_parser = parse_duration, global = true)]
    pub store_timeout: Duration,

    /// The account's opt-in keywords, comma-separated: an inbound text that is exactly one of
    /// them (ignoring case and spaces) is a `KEYWORD` message rather than a `REPLY`. STOP, HELP
    /// and the other carrier keywords are always known. Kept in the store like
    /// `--default-region` (none if not given); unset: the store's.
    #[arg(long, env = "KEYWORDS", value_delimiter = ',', global = true)]
    pub keywords: Option<Vec<String>>,

    /// API keys for the GraphQL API, comma-separated, each `read:KEY` or `admin:KEY` (a bare
    /// KEY reads). None: the API is open, and only on a loopback address.
    #[arg(
        long = "api-key",
        env = "API_KEYS",
        value_delimiter = ',',
        global = true,
        hide_env_values = true
    )]
    pub api_keys: Vec<ApiKey>,

    /// Failed authentications (answered 401) an address (an IPv6 /64) may have in
    /// `--auth-failure-window`; past it, until the window ends, its requests with a wrong or
    /// missing token or key are answered 429 and those with a valid one are served. 0: no limit.
    #[arg(long, env = "AUTH_FAILURE_LIMIT", default_value_t = 20, global = true)]
    pub auth_failure_limit: u32,

    /// The window `--auth-failure-limit` counts in.
    #[arg(long, env = "AUTH_FAILURE_WINDOW", default_value = "60s", value_parser = parse_duration, global = true)]
    pub auth_failure_window: Duration,

    /// Count failures against the last address of `X-Forwarded-For` (the one the proxy added)
    /// rather than the peer's: set it only behind a proxy that adds the header.
    #[arg(long, env = "TRUST_FORWARDED_FOR", global = true)]
    pub trust_forwarded_for: bool,

    /// How logs are written to standard error: `text` for people, `json` for a log pipeline
    /// (one object per line). `RUST_LOG` chooses what is written.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Serve an open GraphQL API (no API key) on a non-loopback address anyway: everyone who
    /// reaches the address reads every contact and message. Only behind something that keeps
    /// others out.
    #[arg(long, env = "INSECURE_OPEN_API", global = true)]
    pub insecure_open_api: bool,

    /// Web pages that may call the API from a browser besides the service's own (its dashboard
    /// and GraphiQL): origins (`scheme://host[:port]`), comma-separated, for example
    /// http://localhost:5173. Without API keys, a browser request from any other origin is
    /// refused (403); with keys, WebSocket and SSE still refuse one. None by default.
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        value_delimiter = ',',
        value_parser = parse_origin,
        global = true
    )]
    pub cors_allowed_origins: Vec<String>,

    /// Serve `/metrics` on this address, and not on `--listen`: for example 127.0.0.1:9090, to
    /// keep the scrape private while the API is public. Unset: on `--listen`.
    #[arg(long, env = "METRICS_LISTEN", global = true)]
    pub metrics_listen: Option<SocketAddr>,

    /// The deepest nesting a GraphQL query may have.
    #[arg(long, env = "GRAPHQL_MAX_DEPTH", default_value_t = Limits::default().max_depth, global = true)]
    pub graphql_max_depth: usize,

    /// The highest complexity (fields resolved) a GraphQL query may have.
    #[arg(long, env = "GRAPHQL_MAX_COMPLEXITY", default_value_t = Limits::default().max_complexity, global = true)]
    pub graphql_max_complexity: usize,

    /// The most aliases a GraphQL query may use.
    #[arg(long, env = "GRAPHQL_MAX_ALIASES", default_value_t = Limits::default().max_aliases, global = true)]
    pub graphql_max_aliases: usize,

    /// The largest GraphQL query text, in bytes.
    #[arg(long, env = "GRAPHQL_MAX_QUERY_BYTES", default_value_t = Limits::default().max_query_bytes, global = true)]
    pub graphql_max_query_bytes: usize,

    /// Memory for answers to repeated GraphQL queries, in MiB; 0 turns the cache off. An answer
    /// is reused only while no write reached the store since it was computed.
    #[arg(long, env = "GRAPHQL_CACHE_MIB", default_value_t = 32, global = true)]
    pub graphql_cache_mib: u64,

    /// Trusted documents: a JSON manifest of hash (or id) → GraphQL document, as graphql-codegen's
    /// client preset (persisted-documents.json) and Relay's compiler write it. Clients may send
    /// a document's key instead of its text (`extensions.persistedQuery.sha256Hash` or
    /// `documentId`).
    #[arg(long, env = "PERSISTED_DOCUMENTS", value_name = "FILE", global = true)]
    pub persisted_documents: Option<std::path::PathBuf>,

    /// Run only the manifest's documents for `read` keys: free text, registrations of automatic
    /// persisted queries and unknown hashes are refused. `admin` keys may still send any
    /// document. Needs --persisted-documents.
    #[arg(long, env = "ONLY_PERSISTED_DOCUMENTS", global = true)]
    pub only_persisted_documents: bool,

    /// Turn GraphQL introspection (and with it GraphiQL's schema explorer) off.
    #[arg(long, env = "DISABLE_INTROSPECTION", global = true)]
    pub disable_introspection: bool,

    /// The most webhook deliveries committed in one transaction.
    #[arg(long, env = "COMMIT_BATCH_MAX", default_value_t = 256, global = true)]
    pub commit_batch_max: usize,

    /// How long a delivery may wait for others to share its transaction; 0 takes only those
    /// already waiting, which batches under load and adds no latency without it.
    #[arg(long, env = "COMMIT_BATCH_WAIT", default_value = "0s", value_parser = parse_duration, global = true)]
    pub commit_batch_wait: Duration,

    /// The size of the store's connection pool for reads (GraphQL, subscriptions). Writes
    /// (webhooks, the quarantine) have connections of their own, one on SQLite and two on
    /// PostgreSQL, and SQLite's checkpoints one more.
    #[arg(
        long,
        env = "STORE_MAX_CONNECTIONS",
        default_value_t = 10,
        global = true
    )]
    pub store_max_connections: u32,

    /// How long one SQL statement of a read (a GraphQL query, a subscription catching up) may
    /// run before PostgreSQL cancels it and the query is answered READ_TIMEOUT; 0: no limit.
    /// PostgreSQL only: SQLite has no server to cancel a statement, and there a slow read holds
    /// only its own connection, never the writer's (WAL lets readers run beside it).
    #[arg(long, env = "READ_STATEMENT_TIMEOUT", default_value = "30s", value_parser = parse_duration, global = true)]
    pub read_statement_timeout: Duration,

    /// The most GraphQL WebSocket connections and SSE streams (`/graphql/stream`) open at once,
    /// counted together; one more is answered 503. Formerly `--ws-max-connections`.
    #[arg(
        long,
        env = "LIVE_MAX_CONNECTIONS",
        alias = "ws-max-connections",
        default_value_t = 10_000,
        global = true
    )]
    pub live_max_connections: usize,

    /// The most operations (subscriptions and queries) one WebSocket connection runs at once;
    /// one more gets an `error` message with the code TOO_MANY_SUBSCRIPTIONS. Their query texts
    /// and variables may hold 1 MiB together (OPERATIONS_TOO_LARGE past it).
    #[arg(
        long,
        env = "WS_MAX_SUBSCRIPTIONS",
        default_value_t = 100,
        global = true
    )]
    pub ws_max_subscriptions: usize,

    /// The most WebSocket connections one address (an IPv6 /64) may hold open before their
    /// `connection_init` is acknowledged; one more upgrade is answered 429. Behind a proxy,
    /// set `--trust-forwarded-for`, or every client shares the proxy's count.
    #[arg(
        long,
        env = "WS_MAX_PENDING_PER_ADDRESS",
        default_value_t = 16,
        value_parser = clap::value_parser!(u16).range(1..),
        global = true
    )]
    pub ws_max_pending_per_address: u16,

    /// How long a new WebSocket connection has to send `connection_init` before it is closed
    /// with 4408, for example `3s`.
    #[arg(long, env = "WS_INIT_TIMEOUT", default_value = "3s", value_parser = parse_period, global = true)]
    pub ws_init_timeout: Duration,

    /// How often the server sends its keep-alive on an acknowledged WebSocket connection: a
    /// `ping` (graphql-transport-ws) or a `ka` (legacy graphql-ws); on an SSE stream, a `:`
    /// comment line. Formerly `--ws-keep-alive`.
    #[arg(long, env = "LIVE_KEEP_ALIVE", alias = "ws-keep-alive", default_value = "15s", value_parser = parse_period, global = true)]
    pub live_keep_alive: Duration,

    /// How long one write to a WebSocket client may make no progress before the connection is
    /// closed with 1008; an SSE stream is ended and its connection dropped. Meanwhile a client
    /// that stops reading costs at most 64 results (32 queued, 32 being written) plus one per
    /// operation; it resumes with `afterPosition` after reconnecting. Formerly
    /// `--ws-send-timeout`.
    #[arg(long, env = "LIVE_SEND_TIMEOUT", alias = "ws-send-timeout", default_value = "30s", value_parser = parse_period, global = true)]
    pub live_send_timeout: Duration,

    /// Results a shared execution of identical live subscriptions keeps for its slowest
    /// subscriber; one that falls further behind goes on alone from the store, missing nothing.
    /// Formerly `--ws-group-buffer`.
    #[arg(
        long,
        env = "LIVE_GROUP_BUFFER",
        alias = "ws-group-buffer",
        default_value_t = 256,
        value_parser = clap::value_parser!(u16).range(1..),
        global = true
    )]
    pub live_group_buffer: u16,

    /// How long a connection may take to send a request's headers, counted from when it opens
    /// or, kept alive, from the end of the previous answer: past it the connection is closed. Clients
    /// that connect and say nothing, or send a header a byte at a time, do not hold sockets.
    #[arg(long, env = "REQUEST_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_period, global = true)]
    pub request_header_timeout: Duration,

    /// How long a request body may send nothing before the request is answered 400: a client
    /// that stalls mid-body does not hold a handler (or shutdown) for ever.
    #[arg(long, env = "REQUEST_BODY_TIMEOUT", default_value = "30s", value_parser = parse_period, global = true)]
    pub request_body_timeout: Duration,

    /// On SIGINT or SIGTERM, how long requests and streams in flight have to finish before the
    /// remaining connections are closed and the process exits.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = parse_duration, global = true)]
    pub shutdown_timeout: Duration,
}
