//! Webhook tokens: Mobiniti signs nothing, so the URL carries a secret token.
//!
//! Tokens are compared as SHA-256 digests in constant time, so neither the content nor the
//! length of a live token leaks through timing. Two tokens may be live at once, for rotation.

use std::fmt;
use std::str::FromStr;

use axum::http::{HeaderMap, header};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The least length of a token a user chooses; generated ones are 256 bits.
const MIN_LEN: usize = 16;

/// A webhook token; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookToken(String);

impl WebhookToken {
    /// A fresh token of 256 random bits, URL-safe.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(hex::encode(bytes))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookToken(***)")
    }
}

impl FromStr for WebhookToken {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let value = value.trim();
        if value.len() < MIN_LEN {
            return Err(format!(
                "a webhook token needs at least {MIN_LEN} characters; leave it unset to have one generated"
            ));
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
        {
            return Err(
                "a webhook token may hold only letters, digits and - _ . ~ (it goes in a URL)"
                    .into(),
            );
        }
        Ok(Self(value.to_owned()))
    }
}

/// The tokens in force.
#[derive(Clone)]
pub struct WebhookTokens {
    digests: Vec<[u8; 32]>,
}

impl fmt::Debug for WebhookTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookTokens({} live)", self.digests.len())
    }
}

impl WebhookTokens {
    pub fn new<'a>(tokens: impl IntoIterator<Item = &'a WebhookToken>) -> Self {
        Self {
            digests: tokens.into_iter().map(|t| digest(t.expose())).collect(),
        }
    }

    /// Whether the request carries a live token, as `?token=` or `Authorization: Bearer`.
    pub fn admits(&self, query: Option<&str>, headers: &HeaderMap) -> bool {
        let presented = bearer(headers).or_else(|| query.and_then(token_param));
        let Some(presented) = presented else {
            return false;
        };
        let presented = digest(&presented);
        // Every live token is compared, so the time taken does not say which one matched.
        self.digests
            .iter()
            .fold(subtle::Choice::from(0), |found, live| {
                found | live.ct_eq(&presented)
            })
            .into()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn token_param(query: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn tokens(values: &[&str]) -> WebhookTokens {
        let parsed: Vec<WebhookToken> = values
            .iter()
            .map(|v| v.parse().expect("valid token"))
            .collect();
        WebhookTokens::new(&parsed)
    }

    #[test]
    fn a_token_is_admitted_from_the_query_or_the_header() {
        let live = tokens(&["0123456789abcdef0123"]);
        assert!(live.admits(Some("token=0123456789abcdef0123"), &HeaderMap::new()));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer 0123456789abcdef0123"),
        );
        assert!(live.admits(None, &headers));
        assert!(!live.admits(Some("token=0123456789abcdef0124"), &HeaderMap::new()));
        assert!(!live.admits(None, &HeaderMap::new()));
    }

    #[test]
    fn both_tokens_of_a_rotation_are_live() {
        let live = tokens(&["new-token-0123456789", "old-token-0123456789"]);
        assert!(live.admits(Some("token=new-token-0123456789"), &HeaderMap::new()));
        assert!(live.admits(Some("token=old-token-0123456789"), &HeaderMap::new()));
    }

    #[test]
    fn short_or_unsafe_tokens_are_refused_at_start() {
        assert!("short".parse::<WebhookToken>().is_err());
        assert!("has space in it 0123456".parse::<WebhookToken>().is_err());
        assert_eq!(WebhookToken::generate().expose().len(), 64);
    }
}
