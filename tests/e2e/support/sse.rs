//! A GraphQL-over-SSE client for the tests: opens `/graphql/stream` and reads the event stream
//! with a small parser of its own, so that what the service writes is checked byte by byte
//! rather than through a library's leniency.
//!
//! ```ignore
//! let query = "subscription { events { position } }";
//! let mut stream = SseStream::post(&app, None, query, json!({})).await;
//! let results = stream.collect_next(1, WAIT).await;
//! ```

use std::time::Duration;

use serde_json::Value;

use super::TestApp;

/// What the stream said next.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    /// An event: its `event:` field and its `data:` (lines joined by `\n`).
    Event { event: String, data: String },
    /// A comment line (`:`), the keep-alive.
    Comment,
    /// The body ended.
    End,
    /// The connection failed (the server dropped it).
    Failed(String),
}

/// An open event stream.
pub struct SseStream {
    response: reqwest::Response,
    /// Bytes read but not yet parsed into whole lines.
    buffer: Vec<u8>,
    /// The event being read.
    event: String,
    /// Its `data:` lines; an event without any is not dispatched.
    data: Option<Vec<String>>,
    ended: bool,
}

impl SseStream {
    /// POSTs the request to `/graphql/stream`; panics unless the answer is a 200 event stream.
    pub async fn post(app: &TestApp, key: Option<&str>, query: &str, variables: Value) -> Self {
        let response = post(app, key, query, variables).await;
        Self::from_response(response)
    }

    /// Takes a response that must be a 200 event stream.
    pub fn from_response(response: reqwest::Response) -> Self {
        assert_eq!(response.status(), 200, "{response:?}");
        let content_type = response.headers()["content-type"].to_str().ok();
        assert_eq!(content_type, Some("text/event-stream"), "{response:?}");
        Self {
            response,
            buffer: Vec::new(),
            event: String::new(),
            data: None,
            ended: false,
        }
    }

    /// The next event, comment or end, or `None` when nothing came within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(received) = self.parse_line() {
                return Some(received);
            }
            if self.ended {
                return Some(Received::End);
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await;
            match chunk {
                Err(_) => return None,
                Ok(Ok(Some(bytes))) => self.buffer.extend_from_slice(&bytes),
                Ok(Ok(None)) => self.ended = true,
                Ok(Err(err)) => {
                    self.ended = true;
                    return Some(Received::Failed(err.to_string()));
                }
            }
        }
    }

    /// The next event (comments skipped), failing the test when none comes within `wait`.
    pub async fn expect_event(&mut self, wait: Duration) -> Received {
        loop {
            match self.next(wait).await {
                Some(Received::Comment) => {}
                Some(received) => return received,
                None => panic!("nothing within {wait:?}"),
            }
        }
    }

    /// The data of `count` `next` events, each parsed; fails on anything else meanwhile.
    pub async fn collect_next(&mut self, count: usize, wait: Duration) -> Vec<Value> {
        let mut results = Vec::with_capacity(count);
        while results.len() < count {
            match self.expect_event(wait).await {
                Received::Event { event, data } if event == "next" => {
                    let result: Value = serde_json::from_str(&data).expect("`next` data is JSON");
                    assert!(result.get("errors").is_none(), "{result}");
                    results.push(result["data"].clone());
                }
                other => panic!("expected `next` #{}, got {other:?}", results.len() + 1),
            }
        }
        results
    }

    /// Consumes one whole line of the buffer, if there is one, and returns what it completed.
    fn parse_line(&mut self) -> Option<Received> {
        loop {
            let end = self.buffer.iter().position(|&byte| byte == b'\n')?;
            let line: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8(line[..end].to_vec()).expect("the stream is UTF-8");
            if line.is_empty() {
                // A blank line dispatches the event read so far, if any.
                if let Some(lines) = self.data.take() {
                    let event = std::mem::take(&mut self.event);
                    let data = lines.join("\n");
                    return Some(Received::Event { event, data });
                }
                continue;
            }
            if line.starts_with(':') {
                return Some(Received::Comment);
            }
            let (field, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => self.event = value.to_owned(),
                "data" => self
                    .data
                    .get_or_insert_with(Vec::new)
                    .push(value.to_owned()),
                other => panic!("unexpected field `{other}` in the stream"),
            }
        }
    }
}

/// A POST to `/graphql/stream` accepting an event stream, answered as it comes.
pub async fn post(
    app: &TestApp,
    key: Option<&str>,
    query: &str,
    variables: Value,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/graphql/stream"))
        .header("accept", "text/event-stream")
        .json(&serde_json::json!({ "query": query, "variables": variables }));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.expect("the service answers")
}

/// A `complete` event, as the stream carries it.
pub fn complete() -> Received {
    Received::Event {
        event: "complete".into(),
        data: String::new(),
    }
}
