//! The `madblog` command: every command and its arguments (clap), and the small ones' code. With no
//! arguments it serves the app; the operators' mail commands live in `mail` and `outbox`.

mod mail;
mod outbox;

use crate::server::{
    config::Settings,
    email::{relays::Carrier, transport::Transport},
    startup::Application,
    telemetry,
};
use clap::{Parser, Subcommand};
use std::{io::Write, process::ExitCode};

/// Madblog's account system: the server, and the operators' commands beside it.
#[derive(Debug, Parser)]
#[command(name = "madblog", version, after_help = "Settings come from the environment and .env; see .env.example.")]
struct Cli {
    // Optional so that a bare `madblog` (how run.sh and the service files start it) serves.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the app (what `madblog` with no command does)
    Serve,
    /// Send one mail with the configured MAIL_* settings, now (not through the outbox)
    SendTestEmail {
        /// Where to send it
        #[arg(long, value_name = "ADDRESS")]
        to: String,
    },
    /// Time the password hash on this machine (for capacity planning)
    HashTiming,
    /// The mail queue, the suppression list and bounce reports
    #[command(subcommand)]
    Mail(mail::MailCommand),
    /// The mail queue (the older names of `madblog mail queue|retry|purge-sent`)
    #[command(subcommand)]
    Outbox(outbox::OutboxCommand),
    /// Every string of every language, as JSON (for translators and tests)
    Catalogue,
}

/// Runs the command line and returns the process exit code.
pub async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `--help` and `--version` land here too (exit code 0); a wrong argument gets clap's message
        // and 2, before any setting is read, so a typo never reaches the database.
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    telemetry::init();
    let result = match cli.command {
        None | Some(Command::Serve) => serve().await,
        Some(Command::SendTestEmail { to }) => send_test_email(&to).await,
        Some(Command::HashTiming) => hash_timing().await,
        Some(Command::Mail(command)) => mail::run(command).await,
        Some(Command::Outbox(command)) => outbox::run(command).await,
        Some(Command::Catalogue) => catalogue(),
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
    Application::build(settings, conf.leptos_options).await?.run_until_stopped().await
}

/// The seed's "flask shell" mail test: one mail, sent now (not through the outbox), with the
/// configured settings, and SMTP's own answer if it fails.
async fn send_test_email(to: &str) -> anyhow::Result<()> {
    let to = crate::domain::EmailAddress::parse(to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    let settings = Settings::from_env()?;
    let transport = Transport::from_settings(&settings)?;
    let mail = crate::server::db::outbox::OutboxMail {
        id: uuid::Uuid::new_v4().to_string(),
        kind: "test".into(),
        recipient: to.to_string(),
        subject: "[Madblog] Test email".into(),
        body_text: "testing\n\nIf you can read this, Madblog can send mail.\n".into(),
        body_html: "<p><b>testing</b></p><p>If you can read this, Madblog can send mail.</p>".into(),
        attempts: 1,
        requested: true,
    };
    println!("sending a test mail to {to} via {}", transport.describe());
    match transport.send(&mail).await {
        Ok(Some(Carrier::Fallback)) => {
            // The primary's failure is in the log (warn or info); an operator testing the primary
            // must not take this for its success.
            println!("sent through the FALLBACK relay: the primary relay failed (see the log for why)");
            Ok(())
        }
        Ok(_) => {
            println!("sent");
            Ok(())
        }
        Err(error) => Err(anyhow::anyhow!("{error}{}", hint(&error.reason, &settings))),
    }
}

/// A hint for the failures people actually hit.
fn hint(error: &str, settings: &Settings) -> String {
    let lower = error.to_lowercase();
    if lower.contains("mail from address must be same as authorization user") {
        format!(
            "\nhint: this provider only sends as the account you log in with: make MAIL_SENDER's address {}",
            settings.mail.relay.as_ref().and_then(|r| r.username.as_deref()).unwrap_or("MAIL_USERNAME")
        )
    } else if lower.contains("authentication") || lower.contains("535") {
        "\nhint: check MAIL_USERNAME and MAIL_PASSWORD (some providers want an app password or authorisation code)"
            .into()
    } else if lower.contains("connection refused") || lower.contains("timed out") || lower.contains("connection") {
        "\nhint: check MAIL_SERVER and MAIL_PORT, and MAIL_USE_SSL (port 465) or MAIL_USE_TLS (port 587)".into()
    } else {
        String::new()
    }
}

/// Every string of every language: the pages' as `{"en": {"field": "text", …}, "zh-CN": {…}}`
/// (what the browser tests check every string on a page against), the mails' under `"mail"`.
fn catalogue() -> anyhow::Result<()> {
    use crate::i18n::Locale;
    use serde_json::{Map, Value};
    let object = |entries: Vec<(&str, &str)>| {
        Value::Object(entries.into_iter().map(|(k, v)| (k.to_owned(), v.into())).collect())
    };
    let mut all: Map<String, Value> =
        Locale::ALL.iter().map(|locale| (locale.tag().to_owned(), object(locale.text().entries()))).collect();
    let mail = Locale::ALL.iter().map(|locale| (locale.tag().to_owned(), object(locale.mail().entries()))).collect();
    all.insert("mail".to_owned(), Value::Object(mail));
    // Not `println!`: a reader that stops early (`| head`) is not a panic.
    let _ = writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&all)?);
    Ok(())
}

/// Times the password hash as the server runs it (argon2id, m = 19 MiB, t = 2, p = 1): one at a
/// time (the floor under every registration, login and password change), then one per core at
/// once, as under load (the ceiling on logins per second: each hash walks 19 MiB, so hashes in
/// parallel share the memory bus and caches, and need not scale with the cores).
async fn hash_timing() -> anyhow::Result<()> {
    use crate::server::auth::password::PasswordHasher;
    let hasher = PasswordHasher::new().await?;
    let password =
        crate::domain::Password::parse("a benchmark passphrase".into()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut samples = Vec::new();
    for _ in 0..30 {
        let start = std::time::Instant::now();
        hasher.hash(&password).await?;
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    println!("argon2id hash: p50 {:.1} ms, p90 {:.1} ms, min {:.1} ms (30 runs)", samples[15], samples[27], samples[0]);

    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per_core = 50;
    let start = std::time::Instant::now();
    let runs = (0..cores).map(|_| {
        let (hasher, password) = (hasher.clone(), password.clone());
        tokio::spawn(async move {
            for _ in 0..per_core {
                hasher.hash(&password).await?;
            }
            anyhow::Ok(())
        })
    });
    for run in futures::future::join_all(runs).await {
        run??;
    }
    let seconds = start.elapsed().as_secs_f64();
    let hashes = (cores * per_core) as f64;
    println!(
        "{cores} at a time: {:.0} hashes/s, {:.1} ms each ({} runs)",
        hashes / seconds,
        seconds * 1000.0 * cores as f64 / hashes,
        cores * per_core
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(line: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("madblog").chain(line.split_whitespace()))
    }

    #[test]
    fn the_command_line_is_well_formed() {
        // clap's own checks of the definitions (clashing names, bad groups), which it otherwise
        // runs only when a debug binary parses the line that reaches the broken part.
        Cli::command().debug_assert();
    }

    #[test]
    fn no_command_serves() {
        assert!(parse("").unwrap().command.is_none());
        assert!(matches!(parse("serve").unwrap().command, Some(Command::Serve)));
    }

    #[test]
    fn parses_the_documented_forms() {
        let id = "0b6f8a52-58f4-4d5e-a7c2-6a1f0e0e9d01";
        for line in [
            "send-test-email --to you@example.com".to_owned(),
            "send-test-email --to=you@example.com".to_owned(),
            "hash-timing".to_owned(),
            "catalogue".to_owned(),
            "outbox list".to_owned(),
            "outbox queue".to_owned(),
            "outbox retry --failed".to_owned(),
            format!("outbox retry {id}"),
            "outbox purge-sent --older-than 30d".to_owned(),
            "outbox purge-sent --older-than=12h".to_owned(),
            "mail queue".to_owned(),
            "mail list".to_owned(),
            "mail retry --failed".to_owned(),
            format!("mail retry {id}"),
            "mail purge-sent --older-than 90m".to_owned(),
            "mail suppressions".to_owned(),
            "mail unsuppress you@example.com".to_owned(),
            "mail bounce".to_owned(),
            "mail bounce --recipient bounce+x@example.org".to_owned(),
            "mail bounce --recipient=bounce+x@example.org".to_owned(),
        ] {
            assert!(parse(&line).is_ok(), "{line}: {}", parse(&line).unwrap_err());
        }
        let Some(Command::Mail(mail::MailCommand::PurgeSent(age))) =
            parse("mail purge-sent --older-than 12h").unwrap().command
        else {
            panic!("not purge-sent");
        };
        assert_eq!(age.older_than, 12 * 3_600);
        let Some(Command::Outbox(outbox::OutboxCommand::Retry(which))) =
            parse("outbox retry --failed").unwrap().command
        else {
            panic!("not retry");
        };
        assert!(which.failed && which.id.is_none());
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        for bad in [
            "serv",
            "--verbose",
            "send-test-email",
            "send-test-email you@example.com",
            "mail",
            "mail lst",
            "mail retry",
            "mail retry nope",
            "mail retry --all",
            "mail retry --failed 0b6f8a52-58f4-4d5e-a7c2-6a1f0e0e9d01",
            "mail purge-sent",
            "mail purge-sent --older-than 30",
            "mail purge-sent --older-than 0d",
            "mail purge-sent --older-than xd",
            "mail purge-sent --older-than 30é",
            "mail unsuppress",
            "mail bounce --recipient",
            "mail bounce extra",
            "outbox",
            "outbox retry",
        ] {
            let error = parse(bad).map(|_| ()).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad}: {error}");
        }
    }
}
