//! What `serve` tells a user at start-up: where it listens, and the six webhook URLs and where
//! each goes in Mobiniti.

use std::io::{self, Write};
use std::net::SocketAddr;

use crate::domain::kind::WebhookKind;
use crate::webhooks::{self, WebhookToken, WebhookTokens};

/// Prints, on standard output, where the service listens, where a person goes next, and the
/// webhook URLs for `public_url` (else the listen address).
pub fn announce(
    public_url: Option<&str>,
    address: SocketAddr,
    metrics_address: SocketAddr,
    tokens: &WebhookTokens,
) {
    let listening = format!("http://{address}");
    let base_url = public_url.unwrap_or(&listening);
    let mut out = io::stdout().lock();
    let printed = writeln!(out, "mobiniti-events is listening on {listening}")
        .and_then(|()| {
            write_entry_points(&mut out, &listening, &format!("http://{metrics_address}"))
        })
        .and_then(|()| write_webhook_urls(&mut out, base_url, tokens.shown(), tokens.generated()))
        .and_then(|()| out.flush());
    // A closed standard output (a supervisor that stopped reading) is no reason not to serve.
    if let Err(err) = printed {
        tracing::warn!(
            error = %err,
            "the webhook URLs could not be printed; `mobiniti-events urls` prints them"
        );
    }
}

/// Writes the webhook URLs, grouped by the Mobiniti settings page that holds them.
pub fn write_webhook_urls(
    out: &mut impl Write,
    base_url: &str,
    token: &WebhookToken,
    generated: bool,
) -> io::Result<()> {
    let base_url = base_url.trim_end_matches('/');
    if generated {
        writeln!(
            out,
            "A webhook token was generated and kept in the store; set WEBHOOK_TOKEN to choose your own."
        )?;
    }
    writeln!(out, "Paste these webhook URLs into Mobiniti:")?;
    let mut pages: Vec<&str> = WebhookKind::ALL
        .iter()
        .map(|kind| kind.mobiniti_page())
        .collect();
    pages.sort_unstable();
    pages.dedup();
    for page in pages {
        writeln!(out, "  {page}")?;
        for kind in WebhookKind::ALL
            .iter()
            .filter(|kind| kind.mobiniti_page() == page)
        {
            writeln!(
                out,
                "    {:<22} {base_url}{}?token={}",
                kind.mobiniti_field(),
                webhooks::path(*kind),
                token.expose()
            )?;
        }
    }
    Ok(())
}

/// Where a person goes next: the dashboard, GraphiQL, the metrics (`metrics_base_url` is
/// `base_url` unless the scrape has a listener of its own).
pub fn write_entry_points(
    out: &mut impl Write,
    base_url: &str,
    metrics_base_url: &str,
) -> io::Result<()> {
    let base_url = base_url.trim_end_matches('/');
    let metrics_base_url = metrics_base_url.trim_end_matches('/');
    writeln!(out, "Dashboard:  {base_url}/")?;
    writeln!(out, "GraphiQL:   {base_url}/graphql")?;
    writeln!(out, "Metrics:    {metrics_base_url}/metrics")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_printed_under_its_page() {
        let token: WebhookToken = "abcdefabcdef012345".parse().expect("token");
        let mut out = Vec::new();
        write_webhook_urls(&mut out, "https://hooks.example.com/", &token, false).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        for kind in WebhookKind::ALL {
            assert!(
                text.contains(&format!(
                    "https://hooks.example.com/webhooks/mobiniti/{kind}?token=abcdefabcdef012345"
                )),
                "{text}"
            );
        }
        let notifications = text.find("Settings → Notifications").expect("page");
        let bounces = text.find("Bounces").expect("field");
        assert!(bounces > notifications);
    }
}
