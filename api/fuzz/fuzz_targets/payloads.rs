//! Any body as any kind: reading and validating it never panics, and a body that is accepted
//! gets the same dedupe key and the same event every time it is read.
#![no_main]

use api::domain::category::Keywords;
use api::domain::dedupe;
use api::domain::kind::WebhookKind;
use api::domain::payload::{self, Normalizer};
use api::domain::phone::PhoneNormalizer;
use libfuzzer_sys::fuzz_target;

const KINDS: [&str; 6] = [
    "inbound-message",
    "unsubscribe",
    "bounce",
    "contact-status",
    "delivery-report",
    "rejection",
];

fuzz_target!(|input: &[u8]| {
    let Some((&selector, body)) = input.split_first() else {
        return;
    };
    let Some(kind) = WebhookKind::from_name(KINDS[usize::from(selector) % KINDS.len()]) else {
        return;
    };
    let normalizer = Normalizer {
        phones: PhoneNormalizer::new(phonenumber::country::Id::US),
        keywords: Keywords::new(["JOIN", "Deals"]),
    };
    let Ok(json) = payload::read_json(body) else {
        return;
    };
    let Ok(data) = payload::parse(kind, &json, &normalizer) else {
        return;
    };
    let again = payload::parse(kind, &json, &normalizer).expect("accepted once, accepted again");
    assert_eq!(data, again);
    let key = dedupe::key(kind, &json, data.natural_key().as_deref());
    assert_eq!(
        key,
        dedupe::key(kind, &json, again.natural_key().as_deref())
    );
});
