//! Histories of the six webhooks for a handful of contacts, as Mobiniti could send them: equal
//! timestamps, final and non-final delivery statuses, two messages to one phone, recipients no
//! message names, and every delivery possibly sent again (byte for byte, or re-serialized).

use std::collections::HashSet;

use proptest::prelude::*;
use serde_json::{Value, json};

/// One delivery: the webhook kind and the body posted.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub kind: &'static str,
    pub body: String,
}

const CONTACTS: usize = 3;
const MESSAGES: usize = 4;
const REJECTION_CODES: [&str; 2] = ["", "30007"];

fn contact_id(contact: usize) -> String {
    format!("contact-{contact}")
}

/// How the contact's phone is written varies; it normalizes to one E.164 number.
fn phone(contact: usize, spelling: usize) -> String {
    let national = format!("20255501{contact:02}");
    match spelling % 3 {
        0 => format!("+1{national}"),
        1 => format!("1{national}"),
        _ => national,
    }
}

/// Few distinct times, so that many events share one.
fn time(slot: usize) -> String {
    format!("2024-03-0{}T10:00:00Z", 1 + slot % 3)
}

/// An outbound message's recipient is fixed, as a real message's is: messages 0 and 3 go to the
/// same phone.
fn message_contact(message: usize) -> usize {
    message % CONTACTS
}

/// The fields every contact payload carries, with a name that may be absent or `null`.
fn contact_fields(contact: usize, name: usize, updated: usize, spelling: usize) -> Value {
    let mut fields = json!({
        "id": contact_id(contact),
        "last_name": null,
        "email": null,
        "phone_number": phone(contact, spelling),
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": time(updated),
    });
    match name % 4 {
        0 => {}
        1 => fields["first_name"] = Value::Null,
        2 => fields["first_name"] = json!("Ada"),
        _ => fields["first_name"] = json!("Bea"),
    }
    fields
}

#[derive(Debug, Clone)]
enum Event {
    Inbound {
        contact: usize,
        name: usize,
        updated: usize,
        text: usize,
    },
    Unsubscribe {
        contact: usize,
        name: usize,
        updated: usize,
        at: usize,
    },
    Bounce {
        contact: usize,
        updated: usize,
        bounces: u32,
        unsubscribed: bool,
    },
    Status {
        contact: usize,
        updated: usize,
        status: usize,
    },
    Report {
        messages: Vec<usize>,
        groups: Vec<(usize, Vec<usize>)>,
    },
    Rejection {
        code: usize,
    },
}

fn event() -> impl Strategy<Value = Event> {
    let contact = 0..CONTACTS;
    prop_oneof![
        3 => (contact.clone(), 0..4usize, 0..3usize, 0..3usize).prop_map(
            |(contact, name, updated, text)| Event::Inbound { contact, name, updated, text }
        ),
        1 => (contact.clone(), 0..4usize, 0..3usize, 0..3usize).prop_map(
            |(contact, name, updated, at)| Event::Unsubscribe { contact, name, updated, at }
        ),
        1 => (contact.clone(), 0..3usize, 1..4u32, any::<bool>()).prop_map(
            |(contact, updated, bounces, unsubscribed)| Event::Bounce {
                contact, updated, bounces, unsubscribed
            }
        ),
        2 => (contact, 0..3usize, 0..4usize).prop_map(
            |(contact, updated, status)| Event::Status { contact, updated, status }
        ),
        3 => (
            proptest::sample::subsequence((0..MESSAGES).collect::<Vec<_>>(), 1..=MESSAGES),
            proptest::collection::vec(
                (0..4usize, proptest::sample::subsequence((0..=CONTACTS).collect::<Vec<_>>(), 1..=2)),
                1..3,
            ),
        )
            .prop_map(|(messages, groups)| Event::Report { messages, groups }),
        1 => (0..2usize).prop_map(|code| Event::Rejection { code }),
    ]
}

impl Event {
    fn delivery(&self, spelling: usize) -> Delivery {
        let (kind, body) = match self {
            Event::Inbound {
                contact,
                name,
                updated,
                text,
            } => {
                let mut body = contact_fields(*contact, *name, *updated, spelling);
                body["message"] = json!(["hi", "STOP", "yes"][*text]);
                body["short_code"] = json!("64600");
                body["unsubscribed_at"] = Value::Null;
                body["received_at"] = json!(time(*updated));
                ("inbound-message", body)
            }
            Event::Unsubscribe {
                contact,
                name,
                updated,
                at,
            } => {
                let mut body = contact_fields(*contact, *name, *updated, spelling);
                body["unsubscribed_at"] = json!(time(*at));
                body["to"] = json!("64600");
                ("unsubscribe", body)
            }
            Event::Bounce {
                contact,
                updated,
                bounces,
                unsubscribed,
            } => {
                let mut body = contact_fields(*contact, 0, *updated, spelling);
                body["bounces"] = json!(bounces);
                if *unsubscribed {
                    body["unsubscribed_at"] = json!(time(*updated));
                }
                ("bounce", body)
            }
            Event::Status {
                contact,
                updated,
                status,
            } => {
                let mut body = contact_fields(*contact, 0, *updated, spelling);
                body["status"] =
                    json!(["suspended", "deactivated", "resumed", "transferred"][*status]);
                ("contact-status", body)
            }
            Event::Report { messages, groups } => {
                let statuses: Vec<Value> = groups
                    .iter()
                    .map(|(code, recipients)| {
                        // Codes 100 and 101 are final (delivered, bounced); 200 and 201 are not.
                        let (code, success, bounce) =
                            [("100", true, false), ("101", false, true), ("200", false, false), ("201", false, false)][*code];
                        json!({
                            "code": code, "status": format!("status {code}"),
                            "count": recipients.len(), "success": success, "bounce": bounce,
                            // Recipient 3 is no message's: a phone no message of the report names.
                            "recipients": recipients.iter().map(|r| phone(*r, spelling + 1)).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                let messages: Vec<Value> = messages
                    .iter()
                    .map(|message| json!({
                        "id": format!("message-{message}"), "from": "+15555555555",
                        "message": format!("campaign text {message}"),
                        "phone_number": phone(message_contact(*message), spelling), "metadata": [],
                    }))
                    .collect();
                let body = json!({"total_messages": messages.len(), "statuses": statuses, "messages": messages});
                ("delivery-report", body)
            }
            Event::Rejection { code } => (
                "rejection",
                json!({"code": REJECTION_CODES[*code], "message": "failed", "description": "carrier"}),
            ),
        };
        let body = if spelling.is_multiple_of(2) {
            body.to_string()
        } else {
            serde_json::to_string_pretty(&body).unwrap_or_else(|_| body.to_string())
        };
        Delivery { kind, body }
    }

    /// What the service dedupes this event on: two events with one key are one delivery, so a
    /// history holds at most one content per key (a retry repeats it).
    fn dedupe_key(&self) -> String {
        match self {
            Event::Inbound {
                contact,
                updated,
                text,
                ..
            } => format!("in:{contact}:{updated}:{text}"),
            Event::Unsubscribe { contact, at, .. } => format!("unsub:{contact}:{at}"),
            Event::Bounce {
                contact,
                updated,
                bounces,
                ..
            } => format!("bounce:{contact}:{updated}:{bounces}"),
            Event::Status {
                contact,
                updated,
                status,
            } => format!("status:{contact}:{updated}:{status}"),
            other => format!("{other:?}"),
        }
    }
}

/// A history: each event once, then some of them again.
pub fn history() -> impl Strategy<Value = Vec<Delivery>> {
    (
        proptest::collection::vec((event(), 0..3usize), 4..20),
        proptest::collection::vec(any::<proptest::sample::Index>(), 0..5),
    )
        .prop_map(|(events, retries)| {
            let mut seen = HashSet::new();
            let events: Vec<(Event, usize)> = events
                .into_iter()
                .filter(|(event, _)| seen.insert(event.dedupe_key()))
                .collect();
            let mut deliveries: Vec<Delivery> = events
                .iter()
                .map(|(event, spelling)| event.delivery(*spelling))
                .collect();
            for retry in retries {
                let (event, spelling) = retry.get(&events);
                // Sent again as it was, or re-serialized: the same content either way.
                deliveries.push(event.delivery(spelling + 2 * (retry.index(2))));
            }
            deliveries
        })
}
