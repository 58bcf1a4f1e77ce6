//! Answers to queries, kept by the store version they were computed at.
//!
//! Every write the API can see moves the store's version ([`crate::store::Store::version`]), so
//! an answer to the same query, operation, variables and scope at the same version is the same
//! answer; reading the version is one indexed single-row read, where the query itself may be
//! several statements. A write makes every kept answer unreachable at once; the old ones then
//! age out of the bounded cache. Only queries that ran without an error are kept.
//!
//! The version is read before the query runs, so a kept answer is never older than the store
//! was when the request arrived: at worst it shows a write that committed while it ran.

use std::sync::Arc;

use axum::http::HeaderValue;
use bytes::Bytes;
use moka::future::Cache;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::Scope;

/// What an answer depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    version: i64,
    scope: Scope,
    query: String,
    operation_name: Option<String>,
    /// Canonical JSON: serde_json's maps keep their keys sorted.
    variables: String,
}

impl Key {
    pub fn new(
        version: i64,
        scope: Scope,
        query: &str,
        operation_name: Option<&str>,
        variables: Option<&Map<String, Value>>,
    ) -> Self {
        Self {
            version,
            scope,
            query: query.to_owned(),
            operation_name: operation_name.map(str::to_owned),
            variables: variables
                .map(|variables| Value::Object(variables.clone()).to_string())
                .unwrap_or_default(),
        }
    }

    /// The entity tag of the answer to this key in `content_type`: the version it was read at,
    /// and a digest of the rest. Weak: compression may change the bytes, not the answer.
    pub fn tag(&self, content_type: &str) -> HeaderValue {
        let scope = match self.scope {
            Scope::Read => "read",
            Scope::Admin => "admin",
        };
        let mut digest = Sha256::new();
        for part in [
            scope,
            &self.query,
            self.operation_name.as_deref().unwrap_or_default(),
            &self.variables,
            content_type,
        ] {
            // Each part's length first, so that no two different keys hash the same bytes.
            digest.update((part.len() as u64).to_le_bytes());
            digest.update(part.as_bytes());
        }
        let digest = digest.finalize();
        let tag = format!("W/\"{}-{}\"", self.version, hex::encode(&digest[..12]));
        HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("W/\"\""))
    }

    fn weight(&self, answer: &Answer) -> u32 {
        // Fixed overhead per entry: the key's own fields and moka's bookkeeping.
        const ENTRY: usize = 128;
        let bytes = ENTRY
            + self.query.len()
            + self.operation_name.as_ref().map_or(0, String::len)
            + self.variables.len()
            + answer.body.len();
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }
}

/// A kept answer: the response's body, and the operation's name for `/metrics` (a reuse
/// counts as that operation again, without parsing the query to learn its name).
#[derive(Debug, Clone)]
pub struct Answer {
    pub body: Bytes,
    pub operation: Option<Arc<str>>,
}

/// A bounded cache of serialized answers; cheap to clone. With a capacity of zero it keeps
/// nothing and reading the version is skipped.
#[derive(Debug, Clone)]
pub struct AnswerCache {
    answers: Option<Cache<Key, Answer>>,
}

impl AnswerCache {
    /// A cache holding at most `capacity_bytes` of queries, variables and answers.
    pub fn new(capacity_bytes: u64) -> Self {
        let answers = (capacity_bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(capacity_bytes)
                .weigher(Key::weight)
                .build()
        });
        Self { answers }
    }

    pub fn is_enabled(&self) -> bool {
        self.answers.is_some()
    }

    /// The kept answer for `key`, or else `compute`'s, kept when it is `Some`. Requests for the
    /// same key at the same time wait for one computation rather than each running the query.
    /// `None` when the answer could not be kept, also for the requests that waited.
    pub async fn get_or_compute(
        &self,
        key: Key,
        compute: impl Future<Output = Option<Answer>>,
    ) -> Option<Answer> {
        match &self.answers {
            Some(answers) => answers.optionally_get_with(key, compute).await,
            None => compute.await,
        }
    }
}
