//! Errors as GraphQL clients see them: a message for people and a stable `extensions.code`.
//! Store failures are logged here with their cause and never described to the client.

use std::sync::Arc;

use async_graphql::{Error, ErrorExtensions, ServerError};

use super::http::Limits;
use super::scalars::{DateTime, Position};
use crate::error::log_chain;
use crate::store::ReadError;

/// Codes clients can rely on in `extensions.code`.
pub mod code {
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const STORE_UNAVAILABLE: &str = "STORE_UNAVAILABLE";
    pub const READ_TIMEOUT: &str = "READ_TIMEOUT";
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    pub const QUERY_TOO_LARGE: &str = "QUERY_TOO_LARGE";
    pub const TOO_MANY_ALIASES: &str = "TOO_MANY_ALIASES";
}

/// An error with `extensions.code`.
pub fn coded(code: &'static str, message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, extensions| extensions.set("code", code))
}

/// Turns a read's failure into a GraphQL error. (`?` alone would send the error's text, cause
/// included, to the client: every read goes through here instead.)
pub trait ReadResultExt<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> ReadResultExt<T> for Result<T, ReadError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|err| read_error(&err))
    }
}

impl<T> ReadResultExt<T> for Result<T, Arc<ReadError>> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|err| read_error(&err))
    }
}

fn read_error(err: &ReadError) -> Error {
    match err {
        ReadError::Page(err) => coded(code::BAD_USER_INPUT, err.to_string()),
        ReadError::Invalid(message) => coded(code::BAD_USER_INPUT, message.clone()),
        // Not an outage: this query needed longer than a read is given, which the client can
        // change.
        ReadError::Store(err) if err.is_read_timeout() => {
            tracing::warn!("a GraphQL read ran past --read-statement-timeout and was cancelled");
            coded(
                code::READ_TIMEOUT,
                "the query took longer than the store allows and was cancelled: narrow its \
                 `filter` or ask for smaller pages (`first`, `last`), or have the operator raise \
                 --read-statement-timeout",
            )
        }
        ReadError::Store(err) => {
            log_chain("a GraphQL read failed", err);
            coded(
                code::STORE_UNAVAILABLE,
                "the event store is unavailable; retry later",
            )
        }
    }
}

/// A query that did not parse. The parser stops nesting long before the depth limit could be
/// checked, with a message that names neither: this one names both.
pub(crate) fn parse_failed(limits: &Limits, mut err: ServerError) -> ServerError {
    if err.message.starts_with("recursion limit exceeded") {
        err.message = format!(
            "the query is nested too deep to parse; at most {} levels are allowed \
             (--graphql-max-depth)",
            limits.max_depth
        );
    }
    with_code(err, code::GRAPHQL_PARSE_FAILED)
}

/// A query refused by validation; the limits' own messages say which limit and what to do.
/// A value that does not fit its argument's type, written in the query or given in
/// `variables`, is the client's input rather than the document: `BAD_USER_INPUT`, with what
/// the API's own scalars look like.
pub(crate) fn validation_failed(limits: &Limits, mut err: ServerError) -> ServerError {
    if err.message.starts_with("Invalid value for argument") {
        let expected = [
            ("\"Position\"", Position::EXPECTED),
            ("\"DateTime\"", DateTime::EXPECTED),
        ];
        if let Some((_, expected)) = expected
            .iter()
            .find(|(name, _)| err.message.ends_with(&format!("expected type {name}")))
        {
            err.message = format!("{}: {expected}", err.message);
        }
        return with_code(err, code::BAD_USER_INPUT);
    }
    if err.message == "Query is too complex." {
        err.message = format!(
            "the query is too complex: it could return more than {} objects \
             (--graphql-max-complexity); ask for smaller pages (`first`, `last`) or fewer nested \
             lists",
            limits.max_complexity
        );
    } else if err.message == "Query is nested too deep." {
        err.message = format!(
            "the query is nested too deep: at most {} levels are allowed (--graphql-max-depth)",
            limits.max_depth
        );
    }
    with_code(err, code::GRAPHQL_VALIDATION_FAILED)
}

/// The error with `extensions.code`, unless it has one.
pub(crate) fn with_code(mut err: ServerError, fallback: &'static str) -> ServerError {
    let extensions = err.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", fallback);
    }
    err
}
