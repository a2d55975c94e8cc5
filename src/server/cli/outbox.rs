//! `madblog outbox …`: the mail queue for operators. Lists it (recipients masked), requeues mail
//! that was given up on, and deletes old sent rows.

use crate::server::{
    clock::{now, rfc3339},
    config::Settings,
    db::{self, outbox},
    email::transport::mask_address,
};
use anyhow::{Context, bail};

/// Runs `madblog outbox <args>`.
///
/// # Errors
/// On bad arguments (with the usage), or when the database can't be reached.
pub async fn run(args: &[String]) -> anyhow::Result<()> {
    let command = parse(args)?;
    let settings = Settings::from_env()?;
    let pool = db::connect_with(&settings.database.url, settings.database.sqlite_sync).await?;
    match command {
        Command::List => list(&pool).await,
        Command::Retry(id) => {
            let n = outbox::requeue_failed(&pool, id.as_deref(), now()).await.context("requeueing mail")?;
            match (id, n) {
                (Some(id), 0) => bail!("no given-up mail has the id {id} (see `madblog outbox list`)"),
                _ => {
                    println!("requeued {n} mail(s); a running server sends them within a second or so");
                    Ok(())
                }
            }
        }
        Command::PurgeSent { older_than } => {
            let n = outbox::purge_sent(&pool, now() - older_than).await.context("deleting sent mail")?;
            println!("deleted {n} sent mail(s) older than {}", human(older_than));
            Ok(())
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Command {
    List,
    /// `None`: every failed mail.
    Retry(Option<String>),
    /// Seconds.
    PurgeSent {
        older_than: i64,
    },
}

fn parse(args: &[String]) -> anyhow::Result<Command> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["list"] => Ok(Command::List),
        ["retry", "--failed"] => Ok(Command::Retry(None)),
        ["retry", id] if !id.starts_with('-') => {
            uuid::Uuid::parse_str(id).with_context(|| format!("`{id}` is not a mail id (a UUID)"))?;
            Ok(Command::Retry(Some((*id).to_owned())))
        }
        ["purge-sent", "--older-than", age] => Ok(Command::PurgeSent { older_than: age_in_seconds(age)? }),
        ["purge-sent", arg] if arg.starts_with("--older-than=") => {
            Ok(Command::PurgeSent { older_than: age_in_seconds(&arg["--older-than=".len()..])? })
        }
        // `queue`: the name under `madblog mail`.
        ["queue"] => Ok(Command::List),
        _ => bail!("usage: madblog mail queue | retry ID|--failed | purge-sent --older-than 30d (see madblog --help)"),
    }
}

/// `30d`, `12h`, `90m` in seconds.
fn age_in_seconds(age: &str) -> anyhow::Result<i64> {
    let bad = || anyhow::anyhow!("--older-than wants a number of days, hours or minutes, like 30d, 12h or 90m");
    let (number, unit) = age.trim().split_at(age.trim().len().saturating_sub(1));
    let n: i64 = number.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
    let unit = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        _ => return Err(bad()),
    };
    n.checked_mul(unit).ok_or_else(bad)
}

fn human(seconds: i64) -> String {
    match seconds {
        s if s % 86_400 == 0 => format!("{} day(s)", s / 86_400),
        s if s % 3_600 == 0 => format!("{} hour(s)", s / 3_600),
        s => format!("{} minute(s)", s / 60),
    }
}

async fn list(pool: &db::Pool) -> anyhow::Result<()> {
    let mails = outbox::list(pool, 20).await.context("reading the outbox")?;
    let now = now();
    if mails.is_empty() {
        println!("the outbox is empty");
        return Ok(());
    }
    println!(
        "{:<36}  {:<18}  {:<10}  {:>8}  {:<20}  {:<24}  last error or reply",
        "id", "kind", "state", "attempts", "queued", "to"
    );
    for mail in &mails {
        let state = match (mail.sent_at, mail.failed_at, mail.leased_until) {
            // A bounce report can come after the mail left: it says what became of it.
            (Some(_), _, _) => mail.outcome.as_deref().unwrap_or("sent"),
            (None, Some(_), _) => mail.outcome.as_deref().unwrap_or("failed"),
            (None, None, Some(until)) if until >= now => "sending",
            (None, None, _) if mail.next_attempt_at > now => "waiting",
            _ => "due",
        };
        // The whole reply: the receiving server's words are what an operator acts on.
        let error = mail.last_error.as_deref().unwrap_or("");
        println!(
            "{:<36}  {:<18}  {:<10}  {:>8}  {:<20}  {:<24}  {error}",
            mail.id,
            mail.kind,
            state,
            mail.attempts,
            rfc3339(mail.created_at),
            mask_address(&mail.recipient),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!(parse(&args("list")).unwrap(), Command::List);
        assert_eq!(parse(&args("retry --failed")).unwrap(), Command::Retry(None));
        let id = "0b6f8a52-58f4-4d5e-a7c2-6a1f0e0e9d01";
        assert_eq!(parse(&args(&format!("retry {id}"))).unwrap(), Command::Retry(Some(id.into())));
        assert_eq!(
            parse(&args("purge-sent --older-than 30d")).unwrap(),
            Command::PurgeSent { older_than: 30 * 86_400 }
        );
        assert_eq!(parse(&args("purge-sent --older-than=12h")).unwrap(), Command::PurgeSent { older_than: 12 * 3_600 });
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        for bad in [
            "",
            "lst",
            "retry",
            "retry nope",
            "retry --all",
            "purge-sent",
            "purge-sent --older-than 30",
            "purge-sent --older-than 0d",
            "purge-sent --older-than xd",
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad}");
        }
    }
}
