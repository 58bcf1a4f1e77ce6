//! What the run shows: a progress bar on a terminal (a line every few seconds otherwise), and
//! the summary at the end.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use reqwest::Url;

use super::sender::{Answer, Delivery};
use crate::domain::kind::WebhookKind;

/// How often a progress line is written when standard error is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(2);

/// The answers so far.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub sent: BTreeMap<WebhookKind, usize>,
    pub stored: usize,
    pub duplicates: usize,
    /// Duplicates that were deliberate redeliveries.
    pub redeliveries: usize,
    /// Attempts after the first, over all webhooks.
    pub retried: u64,
    pub refused: usize,
    /// The first refusal: kind, status and the service's message.
    pub first_refusal: Option<String>,
}

impl Tally {
    pub fn record(&mut self, delivery: &Delivery) {
        *self.sent.entry(delivery.kind).or_default() += 1;
        self.retried += u64::from(delivery.retries);
        match &delivery.answer {
            Answer::Stored => self.stored += 1,
            Answer::Duplicate => {
                self.duplicates += 1;
                self.redeliveries += usize::from(delivery.redelivery);
            }
            Answer::Refused { status, detail } => {
                self.refused += 1;
                self.first_refusal.get_or_insert_with(|| {
                    format!("{} answered {status}: {detail}", delivery.kind)
                });
            }
        }
    }

    pub fn total(&self) -> usize {
        self.sent.values().sum()
    }
}

/// Progress on standard error: a bar on a terminal, else a line now and then.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    last_line: Instant,
}

impl Progress {
    pub fn new(total: usize) -> Self {
        let bar = io::stderr().is_terminal().then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} webhooks  {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Self {
            bar,
            total,
            last_line: Instant::now(),
        }
    }

    pub fn update(&mut self, tally: &Tally) {
        let status = format!(
            "{} stored, {} duplicates, {} retried, {} refused",
            tally.stored, tally.duplicates, tally.retried, tally.refused
        );
        match &self.bar {
            Some(bar) => {
                bar.set_message(status);
                bar.set_position(tally.total() as u64);
            }
            None if self.last_line.elapsed() >= LINE_EVERY => {
                self.last_line = Instant::now();
                eprintln!("{}/{} webhooks sent: {status}", tally.total(), self.total);
            }
            None => {}
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// What the summary tells.
#[derive(Debug)]
pub struct Summary<'a> {
    pub target: &'a Url,
    pub seed: u64,
    pub contacts: u32,
    pub campaigns: u32,
    pub elapsed: Duration,
    pub tally: &'a Tally,
}

impl Summary<'_> {
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        let tally = self.tally;
        let campaigns = if self.campaigns == 1 {
            "1 campaign".to_owned()
        } else {
            format!("{} campaigns", self.campaigns)
        };
        writeln!(
            out,
            "Simulated {campaigns} to {} contacts (--seed {}) in {:.1} s.",
            self.contacts,
            self.seed,
            self.elapsed.as_secs_f64()
        )?;
        writeln!(out, "  webhooks sent     {:>6}", tally.total())?;
        for kind in WebhookKind::ALL {
            let sent = tally.sent.get(&kind).copied().unwrap_or(0);
            writeln!(out, "    {:<16}{sent:>5}", kind.as_str())?;
        }
        writeln!(out, "  stored            {:>6}", tally.stored)?;
        writeln!(
            out,
            "  duplicates        {:>6}  ({} deliberate redeliveries)",
            tally.duplicates, tally.redeliveries
        )?;
        writeln!(out, "  retried           {:>6}", tally.retried)?;
        writeln!(out, "  refused           {:>6}", tally.refused)?;
        writeln!(out, "Dashboard: {}", self.target)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(kind: WebhookKind, answer: Answer, redelivery: bool, retries: u32) -> Delivery {
        Delivery {
            kind,
            redelivery,
            answer,
            retries,
        }
    }

    #[test]
    fn the_summary_counts_each_answer() {
        let mut tally = Tally::default();
        tally.record(&delivery(WebhookKind::Bounce, Answer::Stored, false, 2));
        tally.record(&delivery(WebhookKind::Bounce, Answer::Duplicate, true, 0));
        tally.record(&delivery(
            WebhookKind::Rejection,
            Answer::Refused {
                status: reqwest::StatusCode::UNPROCESSABLE_ENTITY,
                detail: "invalid_payload: code: missing".into(),
            },
            false,
            0,
        ));
        let target: Url = "http://127.0.0.1:8080/".parse().expect("a URL");
        let mut out = Vec::new();
        Summary {
            target: &target,
            seed: 7,
            contacts: 20,
            campaigns: 1,
            elapsed: Duration::from_millis(1234),
            tally: &tally,
        }
        .write(&mut out)
        .expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.starts_with("Simulated 1 campaign to 20 contacts (--seed 7) in 1.2 s.\n"));
        assert!(text.contains("  webhooks sent          3\n"), "{text}");
        assert!(text.contains("    bounce              2\n"), "{text}");
        assert!(text.contains("    unsubscribe         0\n"), "{text}");
        assert!(text.contains("  duplicates             1  (1 deliberate redeliveries)\n"));
        assert!(text.contains("  retried                2\n"), "{text}");
        assert!(text.contains("  refused                1\n"), "{text}");
        assert!(
            text.ends_with("Dashboard: http://127.0.0.1:8080/\n"),
            "{text}"
        );
        assert_eq!(
            tally.first_refusal.as_deref(),
            Some("rejection answered 422 Unprocessable Entity: invalid_payload: code: missing")
        );
    }
}
