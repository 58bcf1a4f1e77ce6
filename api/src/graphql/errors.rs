//! Errors as GraphQL clients see them: a message for people and a stable `extensions.code`.
//! Store failures are logged here with their cause and never described to the client.

use std::sync::Arc;

use async_graphql::{Error, ErrorExtensions};

use crate::error::log_chain;
use crate::store::ReadError;

/// Codes clients can rely on in `extensions.code`.
pub mod code {
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const STORE_UNAVAILABLE: &str = "STORE_UNAVAILABLE";
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
        ReadError::Store(err) => {
            log_chain("a GraphQL read failed", err);
            coded(
                code::STORE_UNAVAILABLE,
                "the event store is unavailable; retry later",
            )
        }
    }
}
