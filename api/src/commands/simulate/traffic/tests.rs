//! The generated traffic read by the service's own parser: valid, distinct, and the story the
//! dashboard should tell.

use std::collections::{BTreeMap, HashSet};

use chrono::TimeZone;

use super::*;
use crate::domain::category::{Category, Keywords};
use crate::domain::event::{NewEvent, from_body};
use crate::domain::payload::{EventData, Normalizer};
use crate::domain::phone::PhoneNormalizer;

fn plan(seed: u64, contacts: usize) -> Plan {
    Plan {
        seed,
        contacts,
        campaigns: 1,
        start: Utc
            .with_ymd_and_hms(2026, 3, 14, 15, 9, 26)
            .single()
            .expect("a valid time"),
        spacing: Duration::from_millis(50),
    }
}

fn read(webhook: &Webhook) -> NewEvent {
    let normalizer = Normalizer {
        phones: PhoneNormalizer::new(phonenumber::country::Id::US),
        keywords: Keywords::default(),
    };
    let id = uuid::Uuid::nil();
    match from_body(
        webhook.kind,
        id,
        Utc::now(),
        webhook.body.clone().into_bytes(),
        &normalizer,
    ) {
        Ok(event) => event,
        Err(err) => panic!("{} refused: {err}\n{}", webhook.kind, webhook.body),
    }
}

#[test]
fn every_webhook_is_valid_and_only_redeliveries_are_duplicates() {
    for contacts in [10, 20, 50, 250] {
        let traffic = generate(&plan(7, contacts));
        let mut keys = HashSet::new();
        let mut redeliveries = 0;
        for webhook in &traffic {
            let fresh = keys.insert(read(webhook).dedupe_key);
            assert_eq!(fresh, !webhook.redelivery, "{}", webhook.body);
            redeliveries += usize::from(webhook.redelivery);
        }
        assert_eq!(redeliveries, 2, "{contacts} contacts");
    }
}

#[test]
fn a_campaign_tells_the_whole_story() {
    let traffic = generate(&plan(7, 20));
    let events: Vec<_> = traffic.iter().map(read).collect();
    let kinds: HashSet<WebhookKind> = events.iter().map(|event| event.kind).collect();
    assert_eq!(kinds.len(), 6, "all six kinds: {kinds:?}");

    let contacts: HashSet<&str> = events
        .iter()
        .filter_map(|event| event.data.contact().map(|contact| contact.id.as_str()))
        .collect();
    assert_eq!(contacts.len(), 20);

    let mut categories = BTreeMap::new();
    let mut groups = HashSet::new();
    let mut bounces = BTreeMap::<&str, Vec<i32>>::new();
    for (at, event) in events.iter().enumerate() {
        match &event.data {
            EventData::InboundMessage(message) => {
                *categories.entry(message.category).or_insert(0) += 1;
                if message.category == Category::Stop && !traffic[at].redelivery {
                    let next = (at + 1..events.len())
                        .find(|&later| !traffic[later].redelivery)
                        .map(|later| &events[later].data);
                    assert!(
                        matches!(next, Some(EventData::Unsubscribe(c)) if c.id == message.contact.id),
                        "a STOP is followed by its unsubscribe"
                    );
                }
            }
            EventData::DeliveryReport(report) => {
                for group in &report.statuses {
                    groups.insert((group.code.as_str(), group.success, group.bounce));
                }
            }
            EventData::Bounce(contact) => bounces
                .entry(contact.id.as_str())
                .or_default()
                .extend(contact.bounces),
            _ => {}
        }
    }
    assert!(categories.contains_key(&Category::Stop), "{categories:?}");
    assert!(categories.contains_key(&Category::Help), "{categories:?}");
    assert!(categories[&Category::Reply] >= 2, "{categories:?}");
    assert!(groups.contains(&("100", true, false)), "{groups:?}");
    assert!(
        groups
            .iter()
            .any(|(_, success, bounce)| !success && !bounce)
    );
    assert!(groups.iter().any(|(_, _, bounce)| *bounce));
    assert!(
        bounces.values().all(|counts| counts == &[2, 3]),
        "each dead line crosses the threshold, then bounces again: {bounces:?}"
    );
}

#[test]
fn phone_numbers_are_fictional_and_spread_over_area_codes() {
    let traffic = generate(&plan(3, 250));
    let phones: HashSet<String> = traffic
        .iter()
        .map(read)
        .filter_map(|event| event.data.contact().map(|contact| contact.phone.clone()))
        .collect();
    assert_eq!(phones.len(), 250);
    let mut areas = HashSet::new();
    for phone in &phones {
        assert_eq!(phone.len(), 12, "{phone}");
        assert!(phone.starts_with("+1"), "{phone}");
        assert_eq!(&phone[5..9], "5550", "{phone}");
        assert_eq!(&phone[9..10], "1", "{phone}");
        areas.insert(phone[2..5].to_owned());
    }
    assert_eq!(areas.len(), 3);
}

#[test]
fn a_seed_gives_the_same_story_and_a_new_start_new_times_and_message_ids() {
    let first = generate(&plan(11, 30));
    let again = generate(&plan(11, 30));
    let bodies = |traffic: &[Webhook]| -> Vec<String> {
        traffic.iter().map(|webhook| webhook.body.clone()).collect()
    };
    assert_eq!(bodies(&first), bodies(&again));

    let mut later = plan(11, 30);
    later.start += chrono::Duration::minutes(5);
    let later = generate(&later);
    let kinds = |traffic: &[Webhook]| -> Vec<WebhookKind> {
        traffic.iter().map(|webhook| webhook.kind).collect()
    };
    assert_eq!(kinds(&first), kinds(&later));
    let keys: HashSet<String> = first.iter().map(|w| read(w).dedupe_key).collect();
    assert!(
        later.iter().all(|w| !keys.contains(&read(w).dedupe_key)),
        "a second run with the same seed adds new events"
    );

    assert_ne!(bodies(&first), bodies(&generate(&plan(12, 30))));
}

#[test]
fn payload_times_follow_the_send_slots() {
    let traffic = generate(&plan(5, 20));
    let start = plan(5, 20).start;
    let mut last = None;
    for (slot, webhook) in traffic.iter().enumerate() {
        if webhook.redelivery {
            continue;
        }
        if let Some(at) = read(webhook).data.occurred_at() {
            let expected = start + chrono::Duration::milliseconds(50 * slot as i64);
            assert_eq!(at, expected, "{}", webhook.body);
            assert!(last < Some(at));
            last = Some(at);
        }
    }
    assert!(
        traffic[0]
            .body
            .contains("\"updated_at\":\"2026-03-14T15:09:26.000Z\"")
    );
}
