//! The six webhook bodies, shaped like the examples in Mobiniti's documentation
//! (`tests/fixtures/vendor/`): the same fields, the same spellings of numbers and times.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::people::{Person, timestamp};

/// The short code the simulated account texts from and receives on.
pub const SHORT_CODE: &str = "64600";

/// What a carrier made of one outbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Delivered,
    /// The carrier could not deliver it this time.
    Failed,
    /// The number cannot receive messages; counts towards the contact's bounces.
    Bounced,
}

impl Outcome {
    /// Code, status text, `success`, `bounce`. Mobiniti documents only code 100; the failure
    /// and bounce codes are the simulation's own.
    fn status(self) -> (&'static str, &'static str, bool, bool) {
        match self {
            Self::Delivered => ("100", "The message delivered successfully.", true, false),
            Self::Failed => (
                "200",
                "The carrier could not deliver the message.",
                false,
                false,
            ),
            Self::Bounced => (
                "300",
                "The message bounced: the number cannot receive messages.",
                false,
                true,
            ),
        }
    }
}

/// One outbound message to one contact, and its fate.
#[derive(Debug, Clone)]
pub struct Send {
    /// Mobiniti's message id.
    pub message_id: String,
    /// The recipient, an index into the story's people.
    pub person: usize,
    pub outcome: Outcome,
}

pub fn inbound_message(person: &Person, text: &str, at: DateTime<Utc>) -> Value {
    let mut body = person.fields(at);
    body.insert("short_code".into(), json!(SHORT_CODE));
    body.insert("message".into(), json!(text));
    body.insert(
        "unsubscribed_at".into(),
        json!(person.unsubscribed_at.map(timestamp)),
    );
    body.insert("received_at".into(), json!(timestamp(at)));
    Value::Object(body)
}

/// `person.unsubscribed_at` must already be set.
pub fn unsubscribe(person: &Person, at: DateTime<Utc>) -> Value {
    let mut body = person.fields(at);
    body.insert("to".into(), json!(SHORT_CODE));
    body.insert(
        "unsubscribed_at".into(),
        json!(person.unsubscribed_at.map(timestamp)),
    );
    Value::Object(body)
}

/// `person.bounces` is the count after this bounce.
pub fn bounce(person: &Person, at: DateTime<Utc>) -> Value {
    let mut body = person.fields(at);
    body.insert(
        "unsubscribed_at".into(),
        json!(person.unsubscribed_at.map(timestamp)),
    );
    body.insert("bounces".into(), json!(person.bounces));
    Value::Object(body)
}

/// The vendor's contact-status carries no `unsubscribed_at`, so it leaves that alone.
pub fn contact_status(person: &Person, status: &str, at: DateTime<Utc>) -> Value {
    let mut body = person.fields(at);
    body.insert("status".into(), json!(status));
    Value::Object(body)
}

/// One report on `sends`: a status group per outcome, a message entry per send.
pub fn delivery_report(people: &[Person], text: &str, sends: &[Send]) -> Value {
    let mut outcomes: Vec<Outcome> = sends.iter().map(|send| send.outcome).collect();
    outcomes.sort_unstable();
    outcomes.dedup();
    let statuses: Vec<Value> = outcomes
        .into_iter()
        .map(|outcome| {
            let recipients: Vec<String> = sends
                .iter()
                .filter(|send| send.outcome == outcome)
                .map(|send| people[send.person].with_country_code())
                .collect();
            let (code, status, success, bounce) = outcome.status();
            json!({
                "code": code,
                "status": status,
                "count": recipients.len(),
                "recipients": recipients,
                "success": success,
                "bounce": bounce,
            })
        })
        .collect();
    let messages: Vec<Value> = sends
        .iter()
        .map(|send| {
            json!({
                "id": send.message_id,
                "from": SHORT_CODE,
                "message": text,
                "phone_number": people[send.person].national(),
                "metadata": [],
            })
        })
        .collect();
    json!({
        "total_messages": sends.len(),
        "statuses": statuses,
        "messages": messages,
    })
}

/// The rejection Mobiniti posts when a message comes back failed; `first` picks one of two
/// carrier errors.
pub fn rejection(person: &Person, send: &Send, first: bool) -> Value {
    let (code, message, why) = if first {
        (
            "30003",
            "Unreachable destination handset",
            "the handset is off or out of coverage",
        )
    } else {
        (
            "30007",
            "Message filtered",
            "the carrier filtered it as unwanted",
        )
    };
    json!({
        "code": code,
        "message": message,
        "description": format!(
            "Message {} to {} failed: {why}.",
            send.message_id,
            person.e164()
        ),
    })
}
