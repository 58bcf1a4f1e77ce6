//! What the flags make: the options of the store, the API, the WebSocket connections and the
//! limiter, and the checks clap cannot make by itself.

use std::net::SocketAddr;

use super::{Config, MAX_WEBHOOK_TOKENS};
use crate::derivation::{Derivation, Given};
use crate::domain::payload::Normalizer;
use crate::graphql::{Limits, Persisted, live, ws};
use crate::store::StoreOptions;

impl Config {
    /// What clap cannot check by itself. `num_args` would count only the values written apart
    /// on the command line, not those of one comma-separated value nor of the environment.
    pub fn check(&self) -> Result<(), String> {
        let tokens = self.webhook_token.len();
        if tokens > MAX_WEBHOOK_TOKENS {
            return Err(format!(
                "--webhook-token (WEBHOOK_TOKEN) has {tokens} tokens; give one, or two while \
                 Mobiniti's URLs are being changed from the old to the new: every token listed \
                 lets whoever has it post webhooks, so a third is a retired one still open"
            ));
        }
        if let Some(metrics) = self.metrics_listen {
            // Port 0 asks for a free port: two of those never collide.
            if metrics == self.listen && metrics.port() != 0 {
                return Err(format!(
                    "--metrics-listen (METRICS_LISTEN) is {metrics}, the --listen address: give \
                     it another port (127.0.0.1:9090), or leave it unset to serve /metrics on \
                     --listen"
                ));
            }
        }
        if self.only_persisted_documents && self.persisted_documents.is_none() {
            return Err(
                "--only-persisted-documents (ONLY_PERSISTED_DOCUMENTS) needs the \
                        documents to allow: give --persisted-documents FILE, the manifest your \
                        GraphQL client's build writes"
                    .to_owned(),
            );
        }
        Ok(())
    }

    /// The documents known by hash: the manifest of --persisted-documents, read now.
    pub fn persisted_documents(&self) -> anyhow::Result<Persisted> {
        let manifest = match &self.persisted_documents {
            Some(path) => Persisted::load_manifest(path)?,
            None => Default::default(),
        };
        Ok(Persisted::new(manifest, self.only_persisted_documents))
    }

    pub fn graphql_limits(&self) -> Limits {
        Limits {
            max_depth: self.graphql_max_depth,
            max_complexity: self.graphql_max_complexity,
            max_aliases: self.graphql_max_aliases,
            max_query_bytes: self.graphql_max_query_bytes,
            introspection: !self.disable_introspection,
        }
    }

    pub fn live_settings(&self) -> live::Settings {
        live::Settings {
            max_connections: self.live_max_connections,
            keep_alive: self.live_keep_alive,
            send_timeout: self.live_send_timeout,
            group_buffer: usize::from(self.live_group_buffer),
        }
    }

    pub fn ws_settings(&self) -> ws::Settings {
        ws::Settings {
            max_subscriptions: self.ws_max_subscriptions,
            init_timeout: self.ws_init_timeout,
            max_pending_per_address: usize::from(self.ws_max_pending_per_address),
        }
    }

    /// Refuses an open API on an address other hosts can reach, unless told otherwise: `serve`
    /// checks the address it was given before it binds it or opens the store.
    pub fn check_exposure(&self, address: SocketAddr) -> Result<(), String> {
        if self.exposes_open_api(address) && !self.insecure_open_api {
            let port = address.port();
            return Err(format!(
                "refusing to serve the GraphQL API without API keys on {address}, which other \
                 hosts can reach: anyone there could read every contact and message. Set \
                 API_KEYS=read:KEY (16+ characters each, comma-separated; admin:KEY also reads \
                 the quarantine), or listen on this host only with --listen 127.0.0.1:{port} \
                 (LISTEN_ADDR), or, only if something in front (a proxy, a firewall) already keeps \
                 everyone else out, pass --insecure-open-api (INSECURE_OPEN_API=true)"
            ));
        }
        Ok(())
    }

    /// Whether the GraphQL API would be served without keys to other hosts: refused, or with
    /// `--insecure-open-api` served with a warning.
    pub fn exposes_open_api(&self, address: SocketAddr) -> bool {
        // An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is as local as the IPv4 one.
        self.api_keys.is_empty() && !address.ip().to_canonical().is_loopback()
    }

    /// How payloads are read and classified with the settings given, the defaults for those
    /// not given: what a new store keeps. The service's processes derive with what the store
    /// keeps instead (see `crate::derivation`).
    pub fn normalizer(&self) -> Normalizer {
        Derivation::given_or_default(&self.derivation_given()).normalizer()
    }

    /// The derivation settings given (`--default-region`, `--keywords`), for `crate::derivation`.
    pub fn derivation_given(&self) -> Given {
        Given {
            default_region: self.default_region,
            keywords: self.keywords.clone(),
        }
    }

    /// Which pages may reach the GraphQL API (`crate::origins`).
    pub fn origins(&self) -> crate::origins::Origins {
        crate::origins::Origins::new(
            self.cors_allowed_origins.clone(),
            self.public_url.as_deref(),
            self.api_keys.is_empty(),
            self.insecure_open_api,
        )
    }

    pub fn guard_settings(&self) -> crate::auth_guard::GuardSettings {
        crate::auth_guard::GuardSettings {
            limit: self.auth_failure_limit,
            window: self.auth_failure_window,
            trust_forwarded_for: self.trust_forwarded_for,
        }
    }

    pub fn batch_settings(&self) -> crate::store::BatchSettings {
        crate::store::BatchSettings {
            max_batch: self.commit_batch_max,
            max_wait: self.commit_batch_wait,
        }
    }

    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            url: self.database_url.clone(),
            timeout: self.store_timeout,
            max_connections: self.store_max_connections.max(1),
            read_statement_timeout: self.read_statement_timeout,
        }
    }
}
