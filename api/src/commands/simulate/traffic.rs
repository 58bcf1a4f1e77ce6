//! The traffic of simulated campaigns, in the order Mobiniti would send it.
//!
//! Contacts join (a `contact-status` each); then per campaign a text goes to every reachable
//! contact and its delivery reports arrive in batches (mostly code 100, a few carrier failures,
//! bounces from dead lines). After each report come the answers of its recipients: free-text
//! replies, STOPs each followed by the `unsubscribe`, a HELP or two; a bounce webhook for each
//! dead line past the bounce threshold, a rejection for every other failure. Then a few carriers
//! report status changes, a reminder goes to those who did not answer (dead lines bounce again),
//! and suspended lines resume. Twice in a run a webhook is sent again, as a sender retrying
//! does, to show dedupe.
//!
//! Who does what, and all texts, follow from the seed alone; times follow the start (each
//! webhook's payload time is its send slot) and outbound message ids are new on every run, as
//! Mobiniti's are, so running the same seed again adds new events rather than duplicates.

mod payloads;
mod people;
mod texts;

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::domain::kind::WebhookKind;
use payloads::{Outcome, Send};
use people::Person;
use texts::{CAMPAIGNS, HELPS, REPLIES, STOPS};

pub use people::MAX_CONTACTS;

/// A contact's bounces that make Mobiniti send the bounce webhook (its per-contact setting).
const BOUNCE_THRESHOLD: u32 = 2;

/// Carrier changes in turn; a suspended line resumes at the end of the campaign.
const CARRIER_CHANGES: [&str; 3] = ["suspended", "deactivated", "transferred"];

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Plan {
    pub seed: u64,
    pub contacts: usize,
    pub campaigns: usize,
    /// The payload time of the first webhook.
    pub start: DateTime<Utc>,
    /// The time between two webhooks' payload times: the sending pace, at least 1 ms so that
    /// every payload time is distinct at Mobiniti's millisecond precision.
    pub spacing: Duration,
}

/// One webhook to send.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub kind: WebhookKind,
    pub body: String,
    /// A deliberate second delivery of an earlier webhook, expected to be a duplicate.
    pub redelivery: bool,
}

/// The whole run's webhooks, in sending order.
pub fn generate(plan: &Plan) -> Vec<Webhook> {
    let mut story = Story::new(plan);
    story.join_everyone();
    for campaign in 0..plan.campaigns {
        story.campaign(campaign);
    }
    story.finish()
}

struct Story {
    /// The seed's: who does what, and what they say.
    rng: StdRng,
    /// Outbound message ids, new every run.
    ids: StdRng,
    start: DateTime<Utc>,
    spacing: chrono::Duration,
    people: Vec<Person>,
    webhooks: Vec<Webhook>,
    /// Redeliveries and the position they are due at.
    pending: Vec<(usize, Webhook)>,
    redeliveries_left: usize,
}

impl Story {
    fn new(plan: &Plan) -> Self {
        let mut rng = StdRng::seed_from_u64(plan.seed);
        let ids = StdRng::seed_from_u64(plan.seed ^ plan.start.timestamp_millis().unsigned_abs());
        let mut people = people::generate(&mut rng, plan.contacts);
        // A few dead lines, which start one bounce short of the threshold.
        let dead = share(people.len(), 4, 1);
        for index in rand::seq::index::sample(&mut rng, people.len(), dead) {
            people[index].dead_line = true;
            people[index].bounces = BOUNCE_THRESHOLD - 1;
        }
        Self {
            rng,
            ids,
            start: plan.start,
            spacing: chrono::Duration::from_std(plan.spacing)
                .unwrap_or(chrono::Duration::milliseconds(1)),
            people,
            webhooks: Vec::new(),
            pending: Vec::new(),
            redeliveries_left: 2,
        }
    }

    /// The payload time of the next webhook: its send slot.
    fn now(&self) -> DateTime<Utc> {
        let slot = i32::try_from(self.webhooks.len()).unwrap_or(i32::MAX);
        self.start + self.spacing * slot
    }

    fn push(&mut self, kind: WebhookKind, body: &Value) {
        let webhook = Webhook {
            kind,
            body: body.to_string(),
            redelivery: false,
        };
        if self.redeliveries_left > 0 && self.wants_redelivery(kind) {
            self.redeliveries_left -= 1;
            let due = self.webhooks.len() + 4;
            self.pending.push((
                due,
                Webhook {
                    redelivery: true,
                    ..webhook.clone()
                },
            ));
        }
        self.webhooks.push(webhook);
        while let Some(at) = self
            .pending
            .iter()
            .position(|(due, _)| *due <= self.webhooks.len())
        {
            let (_, again) = self.pending.remove(at);
            self.webhooks.push(again);
        }
    }

    /// The first delivery report and the first inbound message are delivered twice.
    fn wants_redelivery(&self, kind: WebhookKind) -> bool {
        let first = |wanted| !self.webhooks.iter().any(|w| w.kind == wanted);
        match kind {
            WebhookKind::DeliveryReport | WebhookKind::InboundMessage => {
                first(kind) && !self.pending.iter().any(|(_, w)| w.kind == kind)
            }
            _ => false,
        }
    }

    fn finish(mut self) -> Vec<Webhook> {
        self.webhooks
            .extend(self.pending.drain(..).map(|(_, webhook)| webhook));
        self.webhooks
    }

    fn join_everyone(&mut self) {
        for person in 0..self.people.len() {
            let at = self.now();
            self.people[person].created_at = Some(at);
            self.contact_status(person, "resumed");
        }
    }

    fn campaign(&mut self, number: usize) {
        let (text, reminder) = CAMPAIGNS[number % CAMPAIGNS.len()];
        let recipients = self.reachable(|_| true);
        let mut pool: Vec<usize> = recipients
            .iter()
            .copied()
            .filter(|&person| !self.people[person].dead_line)
            .collect();
        pool.shuffle(&mut self.rng);
        let total = self.people.len();
        let stoppers = take(&mut pool, share(total, 6, 1));
        let helpers = take(&mut pool, if total >= 40 { 2 } else { 1 });
        let repliers = take(&mut pool, share(total, 10, 2));
        let failing = take(&mut pool, share(total, 5, 1));
        let carrier = take(&mut pool, share(total, 6, 1));

        let mut failures = 0;
        for batch in self.send(&recipients, &failing) {
            self.report(text, &batch);
            for send in &batch {
                let person = send.person;
                match send.outcome {
                    Outcome::Bounced => self.bounce(person),
                    Outcome::Failed => {
                        if failures % 2 == 0 {
                            let body =
                                payloads::rejection(&self.people[person], send, failures % 4 == 0);
                            self.push(WebhookKind::Rejection, &body);
                        }
                        failures += 1;
                    }
                    Outcome::Delivered if stoppers.contains(&person) => self.stop(person),
                    Outcome::Delivered if helpers.contains(&person) => {
                        let help = HELPS[self.rng.random_range(0..HELPS.len())];
                        self.inbound(person, help);
                    }
                    Outcome::Delivered if repliers.contains(&person) => {
                        let reply = REPLIES[self.rng.random_range(0..REPLIES.len())];
                        self.inbound(person, reply);
                    }
                    Outcome::Delivered => {}
                }
            }
        }

        for (turn, &person) in carrier.iter().enumerate() {
            self.contact_status(person, CARRIER_CHANGES[turn % CARRIER_CHANGES.len()]);
        }

        let answered = [&stoppers, &helpers, &repliers];
        let second = self.reachable(|person| !answered.iter().any(|set| set.contains(&person)));
        for batch in self.send(&second, &[]) {
            self.report(reminder, &batch);
            for send in batch.iter().filter(|send| send.outcome == Outcome::Bounced) {
                self.bounce(send.person);
            }
        }

        for &person in &carrier {
            if self.people[person].carrier_status == Some("suspended") {
                self.contact_status(person, "resumed");
            }
        }
    }

    /// The reachable people that `keep` keeps, in list order.
    fn reachable(&self, keep: impl Fn(usize) -> bool) -> Vec<usize> {
        (0..self.people.len())
            .filter(|&person| self.people[person].reachable() && keep(person))
            .collect()
    }

    /// Sends one text to `recipients`; returns the sends in the batches their reports cover.
    fn send(&mut self, recipients: &[usize], failing: &[usize]) -> Vec<Vec<Send>> {
        let mut sends: Vec<Send> = recipients
            .iter()
            .map(|&person| Send {
                message_id: people::uuid(&mut self.ids),
                person,
                outcome: if self.people[person].dead_line {
                    Outcome::Bounced
                } else if failing.contains(&person) {
                    Outcome::Failed
                } else {
                    Outcome::Delivered
                },
            })
            .collect();
        sends.shuffle(&mut self.rng);
        let smallest = (sends.len() / 6).max(3);
        let largest = (sends.len() / 3).max(smallest + 2);
        let mut batches = Vec::new();
        while !sends.is_empty() {
            let size = self.rng.random_range(smallest..=largest).min(sends.len());
            batches.push(sends.drain(..size).collect());
        }
        batches
    }

    fn report(&mut self, text: &str, batch: &[Send]) {
        let body = payloads::delivery_report(&self.people, text, batch);
        self.push(WebhookKind::DeliveryReport, &body);
    }

    fn inbound(&mut self, person: usize, text: &str) {
        let body = payloads::inbound_message(&self.people[person], text, self.now());
        self.push(WebhookKind::InboundMessage, &body);
    }

    /// A STOP, then Mobiniti's unsubscribe for it.
    fn stop(&mut self, person: usize) {
        let stop = STOPS[self.rng.random_range(0..STOPS.len())];
        self.inbound(person, stop);
        let at = self.now();
        self.people[person].unsubscribed_at = Some(at);
        let body = payloads::unsubscribe(&self.people[person], at);
        self.push(WebhookKind::Unsubscribe, &body);
    }

    /// One more bounce; the webhook once the count reaches the threshold.
    fn bounce(&mut self, person: usize) {
        self.people[person].bounces += 1;
        if self.people[person].bounces >= BOUNCE_THRESHOLD {
            let body = payloads::bounce(&self.people[person], self.now());
            self.push(WebhookKind::Bounce, &body);
        }
    }

    fn contact_status(&mut self, person: usize, status: &'static str) {
        self.people[person].carrier_status = Some(status);
        let body = payloads::contact_status(&self.people[person], status, self.now());
        self.push(WebhookKind::ContactStatus, &body);
    }
}

/// `percent` of `total`, at least `least`.
fn share(total: usize, percent: usize, least: usize) -> usize {
    (total * percent / 100).max(least)
}

/// The first `count` of `pool` (fewer if it runs out), removed from it.
fn take(pool: &mut Vec<usize>, count: usize) -> Vec<usize> {
    pool.drain(..count.min(pool.len())).collect()
}

#[cfg(test)]
mod tests;
