//! Mobiniti traffic, request `n` by request `n`: the same `n` always gives the same request, so
//! the service and the baseline receive the same stream. Two streams:
//!
//! - [`Traffic::Inbound`]: distinct inbound messages, each new to the log, from 10,000 contacts;
//!   the simplest durable write, and the form of the check anyone can repeat with wrk.
//! - [`Traffic::Mix`], realistic, per 100 requests: 40 inbound messages, 20 delivery reports (1
//!   to 500 recipients: most carry a few, some a campaign's worth), 15 contact status changes, 10
//!   unsubscribes, 10 bounces, 5 rejections; and 1 in 20 is a redelivery of a request sent a
//!   little earlier.

use serde_json::{Value, json};

/// Contacts the traffic is about.
const CONTACTS: u64 = 10_000;

/// Which stream a measurement sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Traffic {
    Inbound,
    Mix,
}

impl Traffic {
    pub fn name(self) -> &'static str {
        match self {
            Traffic::Inbound => "distinct inbound messages",
            Traffic::Mix => "realistic mix",
        }
    }
}

/// One webhook delivery.
#[derive(Debug)]
pub struct Request {
    pub kind: &'static str,
    pub body: String,
    /// The recipients of a delivery report sent for the first time: the message and status
    /// rows it writes. Zero for any other request.
    pub recipients: u64,
}

/// Request `n` of `traffic`.
pub fn request(traffic: Traffic, n: u64) -> Request {
    match traffic {
        Traffic::Inbound => {
            let contact = mix(n) % CONTACTS;
            Request {
                kind: "inbound-message",
                body: inbound_text(n, contact, format!("Reply {n}: see you on Saturday?")),
                recipients: 0,
            }
        }
        Traffic::Mix => mixed(n),
    }
}

fn mixed(n: u64) -> Request {
    let hash = mix(n);
    // A redelivery: Mobiniti sends request `n - 1 - k` again, byte for byte.
    if hash.is_multiple_of(20) && n > 64 {
        let again = mixed(n - 1 - (hash >> 8) % 64);
        return Request {
            recipients: 0,
            ..again
        };
    }
    let roll = (hash >> 16) % 100;
    let contact = (hash >> 24) % CONTACTS;
    let (kind, body, recipients) = match roll {
        0..40 => ("inbound-message", inbound(n, contact), 0),
        40..60 => {
            let recipients = recipients(hash);
            let report = delivery_report(n, hash, recipients);
            ("delivery-report", report, recipients)
        }
        60..75 => ("contact-status", contact_status(n, contact), 0),
        75..85 => ("unsubscribe", unsubscribe(n, contact), 0),
        85..95 => ("bounce", bounce(n, contact), 0),
        _ => ("rejection", rejection(n), 0),
    };
    Request {
        kind,
        body: body.to_string(),
        recipients,
    }
}

/// splitmix64: a well-spread hash of the request number.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn phone(contact: u64) -> String {
    format!("+1202555{contact:04}")
}

/// A time `n` seconds into 2025, as Mobiniti writes times.
fn time(n: u64) -> String {
    let seconds = n % (365 * 86_400);
    let (day, rest) = (seconds / 86_400, seconds % 86_400);
    let (month, day) = (day / 28 + 1, day % 28 + 1);
    let (hour, minute, second) = (rest / 3600, rest % 3600 / 60, rest % 60);
    format!("2025-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.000Z")
}

fn contact_fields(n: u64, contact: u64) -> Value {
    json!({
        "id": format!("c{contact:08}-a4b1-11e8-a85f-127fd0971098"),
        "first_name": if contact.is_multiple_of(3) { Value::Null } else { json!(format!("Name{contact}")) },
        "last_name": null,
        "email": null,
        "phone_number": phone(contact),
        "created_at": "2024-01-01T00:00:00.000Z",
        "updated_at": time(n),
    })
}

fn with(mut value: Value, extra: Value) -> Value {
    if let (Some(fields), Value::Object(extra)) = (value.as_object_mut(), extra) {
        fields.extend(extra);
    }
    value
}

fn inbound(n: u64, contact: u64) -> Value {
    let text = match n % 10 {
        0 => "STOP".to_owned(),
        1 => "HELP".to_owned(),
        2 => "JOIN".to_owned(),
        _ => format!("Reply {n}: is the offer still on for Saturday?"),
    };
    inbound_with(n, contact, text)
}

fn inbound_text(n: u64, contact: u64, text: String) -> String {
    inbound_with(n, contact, text).to_string()
}

fn inbound_with(n: u64, contact: u64, text: String) -> Value {
    with(
        contact_fields(n, contact),
        json!({
            "short_code": "64600",
            "message": text,
            "unsubscribed_at": null,
            "received_at": time(n),
        }),
    )
}

fn unsubscribe(n: u64, contact: u64) -> Value {
    with(
        contact_fields(n, contact),
        json!({ "to": "64600", "unsubscribed_at": time(n) }),
    )
}

fn bounce(n: u64, contact: u64) -> Value {
    with(
        contact_fields(n, contact),
        json!({ "unsubscribed_at": time(n), "bounces": 1 + n % 4 }),
    )
}

fn contact_status(n: u64, contact: u64) -> Value {
    let status = ["active", "deactivated", "invalid"][(n % 3) as usize];
    with(contact_fields(n, contact), json!({ "status": status }))
}

fn rejection(n: u64) -> Value {
    json!({
        "code": format!("{}", 400 + n % 30),
        "message": "Message rejected",
        "description": format!("campaign {} was refused by the carrier", n % 50),
    })
}

/// How many recipients the report of `hash` has.
fn recipients(hash: u64) -> u64 {
    match (hash >> 32) % 100 {
        0..70 => 1 + (hash >> 40) % 10,
        70..95 => 11 + (hash >> 40) % 90,
        _ => 101 + (hash >> 40) % 400,
    }
}

/// A report of `recipients` messages in one to three status groups.
fn delivery_report(n: u64, hash: u64, recipients: u64) -> Value {
    // Distinct contacts: 7,919 is prime to 10,000.
    let first = (hash >> 8) % CONTACTS;
    let contacts: Vec<u64> = (0..recipients)
        .map(|i| (first + i * 7_919) % CONTACTS)
        .collect();
    let groups = [
        ("100", "The message delivered successfully.", true, false),
        (
            "200",
            "The carrier is temporarily unavailable.",
            false,
            false,
        ),
        ("300", "The number is no longer in service.", false, true),
    ];
    let used = 1 + (hash >> 48) as usize % groups.len();
    let statuses: Vec<Value> = groups[..used]
        .iter()
        .enumerate()
        .map(|(g, (code, status, success, bounce))| {
            let members: Vec<String> = contacts
                .iter()
                .enumerate()
                .filter(|(i, _)| i % used == g)
                .map(|(_, c)| format!("1202555{c:04}"))
                .collect();
            json!({
                "code": code, "status": status, "count": members.len(),
                "recipients": members, "success": success, "bounce": bounce,
            })
        })
        .collect();
    let messages: Vec<Value> = contacts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({
                "id": format!("{:08x}-86ae-4a91-a61d-{:012x}", n, i),
                "from": "+15555555555",
                "message": format!("Weekend sale, campaign {}: 20% off with code SAVE20", n % 50),
                "phone_number": format!("202555{c:04}"),
                "metadata": [],
            })
        })
        .collect();
    json!({ "total_messages": recipients, "statuses": statuses, "messages": messages })
}
