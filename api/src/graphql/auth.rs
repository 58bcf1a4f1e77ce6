//! API keys for the GraphQL API, each with a scope: `read` for queries, `admin` for operator
//! fields such as the quarantine.
//!
//! Keys are compared as SHA-256 digests in constant time. With no key configured the API is
//! open, which `serve` allows only on a loopback address (see `config`).

use std::fmt;
use std::str::FromStr;

use async_graphql::{Context, Guard};
use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::errors::coded;
use crate::error::ErrorCode;

const MIN_LEN: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Read,
    Admin,
}

/// One configured key: `read:KEY`, `admin:KEY`, or `KEY` (read).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    scope: Scope,
    digest: [u8; 32],
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({:?}, ***)", self.scope)
    }
}

impl FromStr for ApiKey {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let value = value.trim();
        let (scope, key) = match value.split_once(':') {
            Some(("read", key)) => (Scope::Read, key),
            Some(("admin", key)) => (Scope::Admin, key),
            Some((scope, _)) => {
                return Err(format!(
                    "unknown API key scope `{scope}`; use read:KEY or admin:KEY"
                ));
            }
            None => (Scope::Read, value),
        };
        if key.len() < MIN_LEN {
            return Err(format!("an API key needs at least {MIN_LEN} characters"));
        }
        Ok(Self {
            scope,
            digest: Sha256::digest(key.as_bytes()).into(),
        })
    }
}

/// The keys in force.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys(Vec<ApiKey>);

/// Why a request was refused before it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Wrong,
}

impl ApiKeys {
    pub fn new(keys: Vec<ApiKey>) -> Self {
        Self(keys)
    }

    pub fn is_open(&self) -> bool {
        self.0.is_empty()
    }

    /// The scope of a presented key (`Bearer KEY`); with no key configured, everything is open.
    pub fn scope_of(&self, authorization: Option<&str>) -> Result<Scope, Refusal> {
        if self.is_open() {
            return Ok(Scope::Admin);
        }
        let presented = authorization
            .and_then(|value| value.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, key)| key.trim())
            .ok_or(Refusal::Missing)?;
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        // Every key is compared, so the time taken does not say which one matched.
        let mut scope = None;
        for key in &self.0 {
            if bool::from(key.digest.ct_eq(&digest)) {
                scope = scope.max(Some(key.scope));
            }
        }
        scope.ok_or(Refusal::Wrong)
    }

    /// The scope of a request by its `Authorization` header.
    pub fn scope_of_headers(&self, headers: &HeaderMap) -> Result<Scope, Refusal> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        self.scope_of(value)
    }
}

/// Lets a field through only for admin keys.
#[derive(Debug)]
pub struct AdminOnly;

impl Guard for AdminOnly {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        match ctx.data_opt::<Scope>() {
            Some(Scope::Admin) => Ok(()),
            _ => Err(coded(
                ErrorCode::Forbidden,
                "this field needs an admin API key",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(values: &[&str]) -> ApiKeys {
        ApiKeys::new(
            values
                .iter()
                .map(|v| v.parse().expect("valid key"))
                .collect(),
        )
    }

    #[test]
    fn keys_carry_their_scope() {
        let keys = keys(&[
            "read:reader-key-0123456789",
            "admin:admin-key-0123456789",
            "plain-key-0123456789",
        ]);
        assert_eq!(
            keys.scope_of(Some("Bearer reader-key-0123456789")),
            Ok(Scope::Read)
        );
        assert_eq!(
            keys.scope_of(Some("bearer admin-key-0123456789")),
            Ok(Scope::Admin)
        );
        assert_eq!(
            keys.scope_of(Some("Bearer plain-key-0123456789")),
            Ok(Scope::Read)
        );
        assert_eq!(
            keys.scope_of(Some("Bearer nope-nope-nope-nope")),
            Err(Refusal::Wrong)
        );
        assert_eq!(keys.scope_of(None), Err(Refusal::Missing));
        assert_eq!(keys.scope_of(Some("Basic abc")), Err(Refusal::Missing));
    }

    #[test]
    fn no_keys_means_open() {
        assert_eq!(ApiKeys::default().scope_of(None), Ok(Scope::Admin));
    }

    #[test]
    fn bad_keys_are_refused_at_start() {
        assert!("short".parse::<ApiKey>().is_err());
        assert!("owner:key-0123456789abcdef".parse::<ApiKey>().is_err());
    }
}
