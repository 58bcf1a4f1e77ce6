//! Persisted documents: a client sends a document's hash rather than its text.
//!
//! - **Automatic persisted queries** (Apollo's protocol, over POST and GET, and in a WebSocket
//!   or SSE operation's `extensions`): `extensions.persistedQuery` is `{"version": 1,
//!   "sha256Hash": "<hex>"}`. With the text, the text must hash to it and is registered; without
//!   it, the registered text is used, or the answer is the error `PERSISTED_QUERY_NOT_FOUND`,
//!   on which the client sends the text once. Registrations are kept in the store, so every
//!   replica knows them (bounded: [`crate::store::MAX_PERSISTED_QUERIES`]), and the most
//!   recent in memory.
//! - **Trusted documents**: `--persisted-documents FILE` loads a manifest, the JSON object of
//!   hash (or id) → document that graphql-codegen's client preset and Relay's compiler write.
//!   Its documents are found by their key, sent as `sha256Hash` or as `documentId`. With
//!   `--only-persisted-documents`, a `read` key may run nothing else: free text, a registration
//!   or an unknown hash is refused. `admin` keys, and the open API without keys (on loopback),
//!   may still send any document.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use moka::sync::Cache;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use async_graphql::{Pos, ServerError};
use axum::http::StatusCode;

use super::Scope;
use super::errors::{read_error, with_code};
use crate::error::ErrorCode;
use crate::store::{ReadError, Store};

/// The documents kept in memory besides the store: the ones this replica saw lately.
const RECENT_BYTES: u64 = 4 * 1024 * 1024;

/// What a request names besides (or instead of) its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference(String);

impl Reference {
    /// The reference in a request's `extensions` and `documentId`; an error says what is wrong
    /// with them.
    pub fn of(
        extensions: Option<&Map<String, Value>>,
        document_id: Option<String>,
    ) -> Result<Option<Self>, String> {
        let persisted = extensions.and_then(|extensions| extensions.get("persistedQuery"));
        let hash = match persisted {
            None | Some(Value::Null) => None,
            Some(Value::Object(persisted)) => {
                if persisted.get("version").and_then(Value::as_u64) != Some(1) {
                    return Err("`extensions.persistedQuery.version` must be 1".to_owned());
                }
                match persisted.get("sha256Hash") {
                    Some(Value::String(hash)) => Some(hash.clone()),
                    _ => {
                        return Err(
                            "`extensions.persistedQuery.sha256Hash` must be a string".to_owned()
                        );
                    }
                }
            }
            Some(_) => return Err("`extensions.persistedQuery` must be an object".to_owned()),
        };
        Ok(hash.or(document_id).map(Self))
    }
}

/// Why a request's document cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum PersistedError {
    /// Apollo's clients look for this message, and for the code.
    #[error("PersistedQueryNotFound")]
    NotFound,
    #[error("the query's SHA-256 is {actual}, not the sha256Hash sent ({sent})")]
    Mismatch { actual: String, sent: String },
    #[error(
        "this API runs only its persisted documents for read keys (--only-persisted-documents): \
         send the hash of a document in its manifest as extensions.persistedQuery.sha256Hash \
         or documentId"
    )]
    Required,
    #[error("the request has no `query`")]
    NoQuery,
    #[error("the store failed while reading persisted queries")]
    Store(#[from] ReadError),
}

impl PersistedError {
    /// The status GraphQL over HTTP answers with. A hash not found is 200, as Apollo's servers
    /// answer it: every client of the protocol reads the code from a 200's `errors`.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::OK,
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Mismatch { .. } | Self::Required | Self::NoQuery => StatusCode::BAD_REQUEST,
        }
    }

    /// The error a client is sent; a store failure is logged here and not described.
    pub fn to_server_error(&self) -> ServerError {
        let code = match self {
            Self::NotFound => ErrorCode::PersistedQueryNotFound,
            Self::Required => ErrorCode::PersistedDocumentRequired,
            Self::Mismatch { .. } | Self::NoQuery => ErrorCode::BadRequest,
            Self::Store(err) => return read_error(err).into_server_error(Pos::default()),
        };
        with_code(ServerError::new(self.to_string(), None), code)
    }
}

/// The documents known by hash; cheap to clone.
#[derive(Clone)]
pub struct Persisted(Arc<Inner>);

struct Inner {
    /// `--persisted-documents`: key → document.
    manifest: HashMap<String, Arc<str>>,
    /// The SHA-256 of each of the manifest's documents, whatever its key (Relay's are not
    /// hashes): a document sent as text is the manifest's if its hash is here.
    manifest_hashes: HashSet<String>,
    /// `--only-persisted-documents`.
    only_manifest: bool,
    recent: Cache<String, Arc<str>>,
}

impl std::fmt::Debug for Persisted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Persisted")
            .field("manifest", &self.0.manifest.len())
            .field("only_manifest", &self.0.only_manifest)
            .finish_non_exhaustive()
    }
}

impl Persisted {
    pub fn new(manifest: HashMap<String, Arc<str>>, only_manifest: bool) -> Self {
        let recent = Cache::builder()
            .max_capacity(RECENT_BYTES)
            .weigher(|hash: &String, query: &Arc<str>| {
                u32::try_from(hash.len() + query.len()).unwrap_or(u32::MAX)
            })
            .build();
        let manifest_hashes = manifest.values().map(|document| sha256(document)).collect();
        Self(Arc::new(Inner {
            manifest,
            manifest_hashes,
            only_manifest,
            recent,
        }))
    }

    /// Reads a manifest: a JSON object of key → document text.
    pub fn load_manifest(path: &Path) -> anyhow::Result<HashMap<String, Arc<str>>> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading --persisted-documents {}", path.display()))?;
        let entries: HashMap<String, String> = serde_json::from_str(&text).with_context(|| {
            format!(
                "--persisted-documents {}: expected a JSON object of hash → document, as \
                 graphql-codegen's client preset (persisted-documents.json) and Relay write",
                path.display()
            )
        })?;
        Ok(entries
            .into_iter()
            .map(|(key, document)| (key, Arc::from(document)))
            .collect())
    }

    /// Whether only the manifest's documents run for `scope`.
    fn restricted(&self, scope: Scope) -> bool {
        self.0.only_manifest && scope != Scope::Admin
    }

    /// The text of the document a request asks to run: its own text, checked against its
    /// reference and registered, or the text its reference names.
    pub async fn resolve(
        &self,
        store: &Store,
        scope: Scope,
        query: Option<String>,
        reference: Option<Reference>,
    ) -> Result<String, PersistedError> {
        let restricted = self.restricted(scope);
        let Some(Reference(key)) = reference else {
            let query = query.ok_or(PersistedError::NoQuery)?;
            if restricted && !self.0.manifest_hashes.contains(&sha256(&query)) {
                return Err(PersistedError::Required);
            }
            return Ok(query);
        };
        if let Some(document) = self.0.manifest.get(&key) {
            return Ok(document.to_string());
        }
        if restricted {
            return Err(match query {
                Some(_) => PersistedError::Required,
                None => PersistedError::NotFound,
            });
        }
        match query {
            Some(query) => {
                let actual = sha256(&query);
                if !actual.eq_ignore_ascii_case(&key) {
                    return Err(PersistedError::Mismatch { actual, sent: key });
                }
                if self.0.recent.get(&actual).is_none() {
                    store
                        .register_persisted_query(&actual, &query)
                        .await
                        .map_err(ReadError::from)?;
                    self.0.recent.insert(actual, Arc::from(query.as_str()));
                }
                Ok(query)
            }
            None => {
                let key = key.to_ascii_lowercase();
                if let Some(query) = self.0.recent.get(&key) {
                    return Ok(query.to_string());
                }
                let query = store
                    .persisted_query(&key)
                    .await
                    .map_err(ReadError::from)?
                    .ok_or(PersistedError::NotFound)?;
                self.0.recent.insert(key, Arc::from(query.as_str()));
                Ok(query)
            }
        }
    }
}

/// SHA-256 in lower-case hex, as Apollo's clients and graphql-codegen write it.
pub fn sha256(query: &str) -> String {
    hex::encode(Sha256::digest(query.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_is_read_from_the_extensions_or_the_document_id() {
        let extensions =
            serde_json::json!({ "persistedQuery": { "version": 1, "sha256Hash": "ab" } });
        let extensions = extensions.as_object();
        assert_eq!(
            Reference::of(extensions, None),
            Ok(Some(Reference("ab".into())))
        );
        assert_eq!(
            Reference::of(None, Some("cd".into())),
            Ok(Some(Reference("cd".into())))
        );
        assert_eq!(Reference::of(None, None), Ok(None));
        let wrong = serde_json::json!({ "persistedQuery": { "version": 2, "sha256Hash": "ab" } });
        assert!(Reference::of(wrong.as_object(), None).is_err());
        let wrong = serde_json::json!({ "persistedQuery": { "version": 1 } });
        assert!(Reference::of(wrong.as_object(), None).is_err());
    }

    #[test]
    fn the_hash_is_apollos() {
        // Apollo Client's persisted-queries link hashes the printed document the same way.
        assert_eq!(
            sha256("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
    }
}
