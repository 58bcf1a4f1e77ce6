use std::process::ExitCode;

use anyhow::Context;
use tokio::net::TcpListener;

use api::cli::{Cli, Command, SettingsAction};
use api::commands;
use api::config::Config;
use api::logging::LogFormat;

/// A request's many short-lived allocations (rows, JSON, GraphQL values) cost glibc's malloc
/// a quarter of the service's CPU under load; mimalloc serves them from per-thread pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse_checked();
    let format = cli.config.log_format;
    api::logging::init(format);
    match execute(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        // Once, where the reader looks: a log pipeline reads JSON lines, a person one sentence.
        Err(err) if format == LogFormat::Json => {
            tracing::error!("{err:#}");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Migrate => {
            api::open_store(&cli.config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Rebuild => commands::rebuild(&cli.config).await,
        Command::ReplayQuarantine => commands::replay_quarantine(&cli.config).await,
        Command::Schema => {
            print!("{}", api::graphql::sdl());
            Ok(())
        }
        Command::Urls => commands::print_webhook_urls(&cli.config).await,
        Command::Simulate(args) => commands::simulate::run(&cli.config, &args).await,
        Command::Settings(args) => match args.action {
            None => commands::show_settings(&cli.config).await,
            Some(SettingsAction::Set) => commands::change_settings(&cli.config).await,
        },
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    // Here rather than in `api::run`, which serves a listener already bound: the rule is about
    // the address asked for, and is checked before anything is bound, opened or created.
    config
        .check_exposure(config.listen)
        .map_err(anyhow::Error::msg)?;
    if config.exposes_open_api(config.listen) {
        tracing::warn!(
            address = %config.listen,
            "--insecure-open-api: the GraphQL API is served without API keys to every host that \
             reaches this address, every contact and message with it; set API_KEYS to close it"
        );
    }
    let shutdown = shutdown_signal();
    let listener = TcpListener::bind(config.listen).await.with_context(|| {
        format!(
            "cannot listen on {}; is another process using it? (--listen)",
            config.listen
        )
    })?;
    api::run(config, listener, shutdown).await
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed now, before the store opens,
/// so a signal during start-up also stops the service cleanly instead of killing it.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {},
                        _ = terminate.recv() => {},
                    }
                }
                (Err(err), _) | (_, Err(err)) => {
                    tracing::error!(error = %err, "cannot listen for SIGINT and SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
            tracing::info!("shutting down: finishing requests in flight");
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}
