//! The `madblog` command: with no arguments it serves the app; subcommands for operators.

mod mail;
mod outbox;

use crate::server::{config::Settings, email::transport::Transport, startup::Application, telemetry};
use std::{io::Write, process::ExitCode};

/// Runs the command line and returns the process exit code.
pub async fn main() -> ExitCode {
    telemetry::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => serve().await,
        Some("send-test-email") => send_test_email(&args[1..]).await,
        Some("hash-timing") => hash_timing().await,
        Some("outbox") => outbox::run(&args[1..]).await,
        Some("mail") => mail::run(&args[1..]).await,
        Some("catalogue") => catalogue(),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!("unknown command `{other}`; try `madblog --help`")),
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

const USAGE: &str = "usage:
  madblog [serve]                      serve the app
  madblog send-test-email --to ADDRESS send one mail with the configured MAIL_* settings, now
  madblog hash-timing                  time the password hash on this machine (for capacity planning)
  madblog mail queue                   the mail queue: pending, undelivered (failed, bounced, suppressed) with
                                       the server's reply, and the 20 latest sent (recipients masked)
  madblog mail retry ID|--failed       requeue one mail that was not delivered, or all of them
  madblog mail purge-sent --older-than 30d
                                       delete sent mails older than that (d, h or m)
  madblog mail suppressions            the addresses no mail goes to (bounced, or complained), and why
  madblog mail unsuppress ADDRESS      let mail go to ADDRESS again (its owner says the mailbox works)
  madblog mail bounce [--recipient ADDRESS] < report
                                       read one bounce report or complaint (a mail server's pipe) and act
                                       on it if its return path tag verifies (see MAIL_BOUNCE_ADDRESS)
  madblog mail dkim-record             the DNS TXT record to publish for the MAIL_DKIM_* key
  madblog outbox list|retry|purge-sent the same as madblog mail queue|retry|purge-sent
  madblog catalogue                    every string of every language, as JSON (for translators and tests)

Settings come from the environment and .env; see .env.example.";

async fn serve() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let conf = leptos::config::get_configuration(Some("Leptos.toml"))
        .map_err(|e| anyhow::anyhow!("could not read Leptos.toml: {e}"))?;
    Application::build(settings, conf.leptos_options).await?.run_until_stopped().await
}

/// The seed's "flask shell" mail test: one mail, sent now (not through the outbox), with the
/// configured settings, and SMTP's own answer if it fails.
async fn send_test_email(args: &[String]) -> anyhow::Result<()> {
    let to = match args {
        [flag, to] if flag == "--to" => to.clone(),
        [arg] if arg.starts_with("--to=") => arg["--to=".len()..].to_owned(),
        _ => anyhow::bail!("send-test-email needs --to ADDRESS\n\n{USAGE}"),
    };
    let to = crate::domain::EmailAddress::parse(&to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
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
        Ok(()) => {
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
            settings.mail.username.as_deref().unwrap_or("MAIL_USERNAME")
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
