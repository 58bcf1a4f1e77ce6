//! Parsed documents, kept by their query text: a dashboard sends the same few documents over
//! and over with other variables, and parsing is a good part of what a small query costs.
//!
//! Only documents that parse are kept; a request whose text does not parse is parsed (and
//! refused) every time. The cache is bounded by the query text it holds, so a client sending
//! a new document on every request evicts others but cannot grow it.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError};
use moka::sync::Cache;

/// The query text the cache may hold, counted with each entry's fixed overhead.
const CAPACITY_BYTES: u64 = 8 * 1024 * 1024;

/// What an entry costs besides its text: the parsed tree is a few times the text, and moka's
/// bookkeeping comes on top.
const ENTRY_OVERHEAD: u32 = 512;

#[derive(Clone)]
pub struct Documents(Cache<Arc<str>, Arc<ExecutableDocument>>);

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Documents")
            .field("entries", &self.0.entry_count())
            .finish()
    }
}

impl Default for Documents {
    fn default() -> Self {
        Self(
            Cache::builder()
                .max_capacity(CAPACITY_BYTES)
                .weigher(|query: &Arc<str>, _| {
                    // Text is weighed four times: the tree it parses into is larger.
                    let text = u32::try_from(query.len().saturating_mul(4)).unwrap_or(u32::MAX);
                    text.saturating_add(ENTRY_OVERHEAD)
                })
                .build(),
        )
    }
}

impl Documents {
    /// `request`'s document, parsed: taken from the cache when its text was parsed before,
    /// else parsed now and kept.
    pub fn parse<'r>(
        &self,
        request: &'r mut Request,
    ) -> Result<&'r ExecutableDocument, ServerError> {
        if let Some(document) = self.0.get(request.query.as_str()) {
            request.set_parsed_query(ExecutableDocument::clone(&document));
        } else {
            let document = request.parsed_query()?.clone();
            self.0
                .insert(Arc::from(request.query.as_str()), Arc::new(document));
        }
        request.parsed_query()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_parsed_once_is_the_same_when_taken_from_the_cache() {
        let documents = Documents::default();
        let query = "query ($n: Int) { events(first: $n) { totalCount } }";
        let mut first = Request::new(query);
        let parsed = format!("{:?}", documents.parse(&mut first).expect("it parses"));
        documents.0.run_pending_tasks();
        assert_eq!(documents.0.entry_count(), 1);
        let mut second = Request::new(query);
        let cached = format!("{:?}", documents.parse(&mut second).expect("it parses"));
        assert_eq!(parsed, cached);
    }

    #[test]
    fn a_document_that_does_not_parse_is_refused_and_not_kept() {
        let documents = Documents::default();
        let mut request = Request::new("{ events(");
        assert!(documents.parse(&mut request).is_err());
        documents.0.run_pending_tasks();
        assert_eq!(documents.0.entry_count(), 0);
    }
}
