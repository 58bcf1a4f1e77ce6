//! The command line: the commands, and the flags they all take ([`Config`]).

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};

use crate::config::Config;
use crate::simulate::SimulateArgs;

/// Receives Mobiniti's webhooks, keeps every one as an event, and serves them over GraphQL.
#[derive(Debug, Clone, Parser)]
#[command(name = "mobiniti-events", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Clone, Subcommand, PartialEq, Eq)]
pub enum Command {
    /// Run the service (the default); applies pending migrations first.
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Recompute every projection from the event log, with the derivation settings the store
    /// keeps (see `settings`).
    Rebuild,
    /// Read the quarantined deliveries again with this version: those that now read become
    /// events (with their original receive time) and leave the quarantine; the rest stay, with
    /// this version's error.
    ReplayQuarantine,
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Print the six webhook URLs to paste into Mobiniti, for the address given by
    /// `--public-url` (the one Mobiniti reaches), with the token in force; generates and keeps
    /// the token on first use, as `serve` does.
    Urls,
    /// Send realistic Mobiniti traffic to a running service, to see the dashboard come alive.
    Simulate(SimulateArgs),
    /// Show the settings kept in the store that decide what is derived from the log
    /// (`--default-region`, `--keywords`); `settings set` changes them.
    Settings(SettingsArgs),
}

#[derive(Debug, Clone, clap::Args, PartialEq, Eq)]
pub struct SettingsArgs {
    #[command(subcommand)]
    pub action: Option<SettingsAction>,
}

#[derive(Debug, Clone, Subcommand, PartialEq, Eq)]
pub enum SettingsAction {
    /// Make the `--default-region` and `--keywords` given the store's, and rebuild every
    /// projection with them in the same run (`--keywords ''` for none). Stop the service first:
    /// one left running derives with the settings it started with.
    Set,
}

impl Cli {
    /// Parses the command line and environment as [`Parser::parse`] does, then checks what
    /// clap cannot check by itself ([`Config::check`]), exiting as clap does on a bad value.
    pub fn parse_checked() -> Self {
        let cli = Self::parse();
        if let Err(message) = cli.config.check() {
            Self::command()
                .error(ErrorKind::TooManyValues, message)
                .exit();
        }
        cli
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn two_tokens_may_be_given_for_rotation_and_no_more() {
        let cli = Cli::parse_from([
            "mobiniti-events",
            "--webhook-token",
            "new-token-0123456789,old-token-0123456789",
        ]);
        assert_eq!(cli.config.webhook_token.len(), 2);
        assert_eq!(cli.config.check(), Ok(()));
        let three = Cli::parse_from([
            "mobiniti-events",
            "--webhook-token",
            "new-token-0123456789,old-token-0123456789,older-token-0123456789",
        ]);
        assert!(three.config.check().is_err());
    }

    #[test]
    fn the_scrape_needs_an_address_of_its_own() {
        let same = Cli::parse_from([
            "mobiniti-events",
            "--listen",
            "127.0.0.1:8080",
            "--metrics-listen",
            "127.0.0.1:8080",
        ]);
        let err = same.config.check().expect_err("the same address twice");
        assert!(err.contains("another port"), "{err}");
        let apart = Cli::parse_from(["mobiniti-events", "--metrics-listen", "127.0.0.1:9090"]);
        assert_eq!(apart.config.check(), Ok(()));
    }

    #[test]
    fn derivation_settings_not_given_are_told_apart_from_the_defaults() {
        let cli = Cli::parse_from(["mobiniti-events"]);
        assert_eq!(cli.config.default_region, None);
        assert_eq!(cli.config.keywords, None);
        let cli = Cli::parse_from(["mobiniti-events", "--default-region", "us"]);
        assert_eq!(
            cli.config.default_region,
            Some(phonenumber::country::Id::US)
        );
        let cli = Cli::parse_from(["mobiniti-events", "settings", "set", "--keywords", ""]);
        assert_eq!(cli.config.keywords.as_deref(), Some(&[String::new()][..]));
    }

    #[test]
    fn websocket_periods_must_be_more_than_zero() {
        let cli = Cli::parse_from(["mobiniti-events", "--ws-keep-alive", "250ms"]);
        assert_eq!(cli.config.ws_keep_alive, Duration::from_millis(250));
        assert!(Cli::try_parse_from(["mobiniti-events", "--ws-keep-alive", "0s"]).is_err());
    }
}
