//! The simulated contacts: fictional names, `example.com` addresses and phone numbers in the
//! NPA-555-0100…0199 range, which North American numbering reserves for fiction.

use chrono::{DateTime, SecondsFormat, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use serde_json::{Map, Value, json};

/// Area codes the numbers are spread over, 100 fictional lines each.
const AREA_CODES: [u16; 20] = [
    202, 212, 213, 305, 312, 404, 415, 503, 512, 602, 617, 702, 713, 801, 813, 907, 919, 206, 303,
    615,
];

/// The most contacts there are distinct fictional numbers for.
pub const MAX_CONTACTS: usize = AREA_CODES.len() * 100;

const FIRST_NAMES: [&str; 16] = [
    "Avery", "Blake", "Carmen", "Dana", "Elliot", "Farah", "Gus", "Hana", "Imani", "Jonah", "Kiri",
    "Luis", "Mina", "Nolan", "Opal", "Priya",
];
const LAST_NAMES: [&str; 12] = [
    "Abbott",
    "Baptiste",
    "Chen",
    "Delgado",
    "Eriksen",
    "Fontaine",
    "Garza",
    "Haddad",
    "Ito",
    "Jovanovic",
    "Kowalski",
    "Lindqvist",
];

/// A contact as Mobiniti knows it, and what the simulation has done to it so far.
#[derive(Debug, Clone)]
pub struct Person {
    /// Mobiniti's contact id.
    pub id: String,
    pub area_code: u16,
    /// The last four digits, 0100 to 0199.
    pub line: u16,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
    pub bounces: u32,
    /// The carrier's last word on the line (`contact-status`); `None` until one.
    pub carrier_status: Option<&'static str>,
    /// A number that bounces every message (a dead line the list still holds).
    pub dead_line: bool,
}

impl Person {
    /// `+12025550143`, as Mobiniti writes contacts' numbers.
    pub fn e164(&self) -> String {
        format!("+1{}555{:04}", self.area_code, self.line)
    }

    /// `12025550143`, as delivery reports list recipients.
    pub fn with_country_code(&self) -> String {
        format!("1{}555{:04}", self.area_code, self.line)
    }

    /// `2025550143`, as delivery reports name a message's phone.
    pub fn national(&self) -> String {
        format!("{}555{:04}", self.area_code, self.line)
    }

    /// Subscribed, and a line the carrier delivers to.
    pub fn reachable(&self) -> bool {
        self.unsubscribed_at.is_none()
            && !matches!(self.carrier_status, Some("suspended" | "deactivated"))
    }

    /// The contact fields every contact webhook starts with, as of `at`.
    pub fn fields(&self, at: DateTime<Utc>) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("id".into(), json!(self.id));
        fields.insert("first_name".into(), json!(self.first_name));
        fields.insert("last_name".into(), json!(self.last_name));
        fields.insert("email".into(), json!(self.email));
        fields.insert("phone_number".into(), json!(self.e164()));
        fields.insert("created_at".into(), json!(self.created_at.map(timestamp)));
        fields.insert("updated_at".into(), json!(timestamp(at)));
        fields
    }
}

/// A time as Mobiniti writes it: `2016-07-01T15:11:09.553Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A random (version 4) UUID from `rng`, the shape of Mobiniti's ids.
pub fn uuid(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

/// `count` people on distinct numbers: one area code per hundred contacts.
pub fn generate(rng: &mut StdRng, count: usize) -> Vec<Person> {
    let count = count.min(MAX_CONTACTS);
    let pool = count.div_ceil(100) * 100;
    rand::seq::index::sample(rng, pool, count)
        .into_iter()
        .map(|slot| {
            let named = rng.random_bool(0.7);
            let first_name = named.then(|| pick(rng, &FIRST_NAMES));
            let last_name = named.then(|| pick(rng, &LAST_NAMES));
            let email = match (&first_name, &last_name) {
                (Some(first), Some(last)) if rng.random_bool(0.5) => Some(format!(
                    "{}.{}@example.com",
                    first.to_lowercase(),
                    last.to_lowercase()
                )),
                _ => None,
            };
            Person {
                id: uuid(rng),
                area_code: AREA_CODES[slot / 100],
                line: 100 + (slot % 100) as u16,
                first_name,
                last_name,
                email,
                created_at: None,
                unsubscribed_at: None,
                bounces: 0,
                carrier_status: None,
                dead_line: false,
            }
        })
        .collect()
}

fn pick(rng: &mut StdRng, names: &[&str]) -> String {
    names.choose(rng).copied().unwrap_or("Sam").to_owned()
}
