//! The command line: the commands, and the flags they all take ([`Config`]).

use std::ffi::OsString;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};

use crate::commands::simulate::SimulateArgs;
use crate::config::Config;

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

/// A flag renamed, whose old spelling still works: clap takes the old flag as an alias, and
/// the old environment variable is honoured here (clap reads one variable per flag).
struct Renamed {
    flag: &'static str,
    env: &'static str,
    former_flag: &'static str,
    former_env: &'static str,
}

/// The `--ws-*` flags that also govern SSE streams, renamed `--live-*`.
const RENAMED: [Renamed; 4] = [
    Renamed {
        flag: "--live-max-connections",
        env: "LIVE_MAX_CONNECTIONS",
        former_flag: "--ws-max-connections",
        former_env: "WS_MAX_CONNECTIONS",
    },
    Renamed {
        flag: "--live-keep-alive",
        env: "LIVE_KEEP_ALIVE",
        former_flag: "--ws-keep-alive",
        former_env: "WS_KEEP_ALIVE",
    },
    Renamed {
        flag: "--live-send-timeout",
        env: "LIVE_SEND_TIMEOUT",
        former_flag: "--ws-send-timeout",
        former_env: "WS_SEND_TIMEOUT",
    },
    Renamed {
        flag: "--live-group-buffer",
        env: "LIVE_GROUP_BUFFER",
        former_flag: "--ws-group-buffer",
        former_env: "WS_GROUP_BUFFER",
    },
];

/// `args` with a flag added for each renamed one set only by its former environment variable:
/// a flag given, or the new variable, takes precedence, as a flag does over a variable.
fn with_former_env(
    mut args: Vec<OsString>,
    var: impl Fn(&str) -> Option<OsString>,
) -> Vec<OsString> {
    let given = |flag: &str| {
        args.iter().skip(1).any(|arg| {
            arg.to_str().is_some_and(|arg| {
                arg == flag
                    || arg
                        .strip_prefix(flag)
                        .is_some_and(|rest| rest.starts_with('='))
            })
        })
    };
    let mut added = Vec::new();
    for renamed in &RENAMED {
        if var(renamed.env).is_some() || given(renamed.flag) || given(renamed.former_flag) {
            continue;
        }
        if let Some(value) = var(renamed.former_env) {
            let mut flag = OsString::from(format!("{}=", renamed.flag));
            flag.push(value);
            added.push(flag);
        }
    }
    let at = args.len().min(1);
    args.splice(at..at, added);
    args
}

impl Cli {
    /// Parses the command line and environment as [`Parser::parse`] does, then checks what
    /// clap cannot check by itself ([`Config::check`]), exiting as clap does on a bad value.
    pub fn parse_checked() -> Self {
        let args = with_former_env(std::env::args_os().collect(), |name| std::env::var_os(name));
        let cli = Self::parse_from(args);
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
    fn live_periods_must_be_more_than_zero() {
        let cli = Cli::parse_from(["mobiniti-events", "--live-keep-alive", "250ms"]);
        assert_eq!(cli.config.live_keep_alive, Duration::from_millis(250));
        assert!(Cli::try_parse_from(["mobiniti-events", "--live-keep-alive", "0s"]).is_err());
    }

    #[test]
    fn the_former_ws_flags_still_work() {
        let cli = Cli::parse_from(["mobiniti-events", "--ws-keep-alive", "250ms"]);
        assert_eq!(cli.config.live_keep_alive, Duration::from_millis(250));
        let cli = Cli::parse_from(["mobiniti-events", "serve", "--ws-max-connections=7"]);
        assert_eq!(cli.config.live_max_connections, 7);
    }

    fn parsed_with_env(args: &[&str], env: &[(&str, &str)]) -> Cli {
        let args = args.iter().map(OsString::from).collect();
        let var = |name: &str| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| OsString::from(value))
        };
        Cli::parse_from(with_former_env(args, var))
    }

    #[test]
    fn a_former_environment_variable_is_honoured_below_the_new_one_and_any_flag() {
        let former = [("WS_SEND_TIMEOUT", "3s"), ("WS_GROUP_BUFFER", "9")];
        let cli = parsed_with_env(&["mobiniti-events", "serve"], &former);
        assert_eq!(cli.command, Some(Command::Serve));
        assert_eq!(cli.config.live_send_timeout, Duration::from_secs(3));
        assert_eq!(cli.config.live_group_buffer, 9);

        let both = [("WS_SEND_TIMEOUT", "3s"), ("LIVE_SEND_TIMEOUT", "4s")];
        let cli = parsed_with_env(&["mobiniti-events"], &both);
        // The new variable is clap's to read; left alone, the default stands here.
        assert_eq!(cli.config.live_send_timeout, Duration::from_secs(30));

        for flag in ["--ws-send-timeout", "--live-send-timeout"] {
            let cli = parsed_with_env(&["mobiniti-events", flag, "5s"], &former);
            assert_eq!(
                cli.config.live_send_timeout,
                Duration::from_secs(5),
                "{flag}"
            );
            assert_eq!(cli.config.live_group_buffer, 9, "{flag}");
        }
    }
}
