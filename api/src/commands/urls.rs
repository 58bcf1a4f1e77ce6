//! `mobiniti-events urls`: the webhook URLs for `--public-url` (else the listen address).

use std::io::Write;

use anyhow::Context;

use crate::config::Config;
use crate::setup;
use crate::webhooks::WebhookTokens;

pub async fn print_webhook_urls(config: &Config) -> anyhow::Result<()> {
    let store = crate::open_store(config).await?;
    let tokens = WebhookTokens::in_force(&config.webhook_token, &store).await?;
    let base_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.listen));
    let mut out = std::io::stdout().lock();
    setup::write_webhook_urls(&mut out, &base_url, tokens.shown(), tokens.generated())
        .and_then(|()| out.flush())
        .context("printing the webhook URLs")?;
    if config.public_url.is_none() {
        eprintln!(
            "These URLs use the listen address; Mobiniti needs the public one: \
             mobiniti-events urls --public-url https://your-host"
        );
    }
    Ok(())
}
