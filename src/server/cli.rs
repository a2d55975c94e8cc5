//! The `madblog` command: with no arguments it serves the app.

use crate::server::{config::Settings, startup::Application, telemetry};
use std::process::ExitCode;

/// Runs the command line and returns the process exit code.
pub async fn main() -> ExitCode {
    telemetry::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => serve().await,
        Some("-h" | "--help" | "help") => {
            println!(
                "usage: madblog [serve]\n\nSettings come from the environment and .env; see .env.example."
            );
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!(
            "unknown command `{other}`; try `madblog --help`"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the whole context chain on one line; no secret is ever in it.
            tracing::error!("{e:#}");
            eprintln!("madblog: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let conf = leptos::config::get_configuration(Some("Leptos.toml"))
        .map_err(|e| anyhow::anyhow!("could not read Leptos.toml: {e}"))?;
    Application::build(settings, conf.leptos_options)
        .await?
        .run_until_stopped()
        .await
}
