//! `madblog mail …`: the mail queue (`queue`, `retry`, `purge-sent`, as `madblog outbox …`), the
//! suppression list (`suppressions`, `unsuppress ADDRESS`), the bounce pipe (`bounce`) and the DKIM
//! key's DNS record (`dkim-record`).

use super::outbox;
use crate::server::{
    clock::{now, rfc3339},
    config::Settings,
    db::{self, suppressions},
    email::{feedback::Feedback, suppression::Suppressions},
};
use anyhow::{Context, bail};

/// Runs `madblog mail <args>`.
///
/// # Errors
/// On bad arguments (with the usage), or when the database can't be reached.
pub async fn run(args: &[String]) -> anyhow::Result<()> {
    let args_str: Vec<&str> = args.iter().map(String::as_str).collect();
    match args_str.as_slice() {
        ["suppressions"] => {
            let (_, pool) = connect().await?;
            let list = suppressions::list(&pool, now()).await.context("reading the suppression list")?;
            if list.is_empty() {
                println!("no address is suppressed");
            }
            for s in list {
                println!(
                    "{:<28}  {:<9}  since {}  until {}  {}",
                    s.hint,
                    s.reason,
                    rfc3339(s.created_at),
                    rfc3339(s.expires_at),
                    s.reply
                );
            }
            Ok(())
        }
        ["unsuppress", address] => {
            let address = crate::domain::EmailAddress::parse(address).map_err(|e| anyhow::anyhow!("ADDRESS: {e}"))?;
            let (settings, pool) = connect().await?;
            let list = Suppressions::new(settings.secret_key.expose().as_bytes(), settings.mail.suppress_for);
            if list.remove(&pool, address.as_ref()).await.context("lifting the suppression")? {
                println!("{address} may get mail again");
            } else {
                println!("{address} was not suppressed (accounts with it are cleared anyway)");
            }
            Ok(())
        }
        ["dkim-record"] => {
            let dkim = Settings::from_env()?.mail.dkim;
            let dkim = dkim.context("set MAIL_DKIM_DOMAIN, MAIL_DKIM_SELECTOR and MAIL_DKIM_KEY_FILE first")?;
            println!("{}", dkim.dns_record());
            Ok(())
        }
        ["bounce", rest @ ..] => {
            let recipient = match rest {
                [] => None,
                ["--recipient", address] => Some((*address).to_owned()),
                [arg] if arg.starts_with("--recipient=") => Some(arg["--recipient=".len()..].to_owned()),
                _ => bail!("usage: madblog mail bounce [--recipient ADDRESS] < report"),
            };
            if let Err(e) = bounce(recipient.as_deref()).await {
                // EX_TEMPFAIL: the mail server keeps the report and delivers it again later.
                eprintln!("madblog: {e:#}");
                std::process::exit(75);
            }
            Ok(())
        }
        [] | ["suppressions", ..] | ["unsuppress", ..] => bail!(
            "usage: madblog mail queue | retry ID|--failed | purge-sent --older-than 30d | suppressions | \
             unsuppress ADDRESS | bounce [--recipient ADDRESS] | dkim-record (see madblog --help)"
        ),
        _ => outbox::run(args).await,
    }
}

async fn connect() -> anyhow::Result<(Settings, db::Pool)> {
    let settings = Settings::from_env()?;
    let pool = db::connect_with(&settings.database.url, settings.database.sqlite_sync).await?;
    Ok((settings, pool))
}

/// Reports bigger than this are not reports (a bounce quotes at most the original's headers or a
/// mail of ours, a few KiB).
const MAX_REPORT: usize = 10 * 1024 * 1024;

/// `madblog mail bounce`: one report on stdin, as a mail server's pipe delivers it.
async fn bounce(recipient: Option<&str>) -> anyhow::Result<()> {
    use std::io::Read;
    let mut raw = Vec::new();
    std::io::stdin().take(MAX_REPORT as u64 + 1).read_to_end(&mut raw).context("reading the report from stdin")?;
    if raw.len() > MAX_REPORT {
        // Not a retry's worth: it would be as big next time.
        println!("not_a_report (over {} MiB)", MAX_REPORT / 1024 / 1024);
        return Ok(());
    }
    let (settings, pool) = connect().await?;
    let feedback = Feedback::from_settings(&settings)?;
    let verdict = feedback.apply(&pool, &raw, recipient).await.context("recording the report")?;
    println!("{}", verdict.name());
    Ok(())
}
