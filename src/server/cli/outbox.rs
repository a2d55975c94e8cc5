//! `madblog outbox …`: the mail queue for operators. Lists it (recipients masked), requeues mail
//! that was given up on, and deletes old sent rows.

use crate::server::{
    clock::{now, rfc3339},
    config::Settings,
    db::{self, outbox},
    email::transport::mask_address,
};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};

/// `madblog outbox …`: kept for the scripts written before `madblog mail`.
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// The mail queue (as `madblog mail queue`)
    #[command(alias = "queue")]
    List,
    /// Requeue one mail that was not delivered, or all of them
    Retry(Retry),
    /// Delete sent mails older than an age
    PurgeSent(PurgeSent),
}

/// Which undelivered mail to send again.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Retry {
    /// The mail's id (a UUID, from the queue's listing)
    #[arg(value_parser = mail_id)]
    pub(super) id: Option<String>,
    /// Every mail that was not delivered
    #[arg(long)]
    pub(super) failed: bool,
}

/// How old a sent mail must be to go.
#[derive(Debug, Args)]
pub struct PurgeSent {
    /// A number of days, hours or minutes: 30d, 12h, 90m
    #[arg(long, value_name = "AGE", value_parser = age_in_seconds)]
    pub(super) older_than: i64,
}

/// Runs `madblog outbox <command>`.
///
/// # Errors
/// When the database can't be reached, or no given-up mail has the id asked for.
pub async fn run(command: OutboxCommand) -> anyhow::Result<()> {
    match command {
        OutboxCommand::List => list().await,
        OutboxCommand::Retry(which) => retry(which).await,
        OutboxCommand::PurgeSent(age) => purge_sent(age).await,
    }
}

async fn connect() -> anyhow::Result<db::Pool> {
    let settings = Settings::from_env()?;
    db::connect_with(&settings.database.url, settings.database.sqlite_sync).await
}

/// `retry ID|--failed`.
///
/// # Errors
/// When the database can't be reached, or no given-up mail has that id.
pub async fn retry(Retry { id, failed }: Retry) -> anyhow::Result<()> {
    // clap's group lets exactly one of the two through.
    let id = if failed { None } else { id };
    let pool = connect().await?;
    let n = outbox::requeue_failed(&pool, id.as_deref(), now()).await.context("requeueing mail")?;
    match (id, n) {
        (Some(id), 0) => bail!("no given-up mail has the id {id} (see `madblog mail queue`)"),
        _ => {
            println!("requeued {n} mail(s); a running server sends them within a second or so");
            Ok(())
        }
    }
}

/// `purge-sent --older-than AGE`.
///
/// # Errors
/// When the database can't be reached.
pub async fn purge_sent(PurgeSent { older_than }: PurgeSent) -> anyhow::Result<()> {
    let pool = connect().await?;
    let n = outbox::purge_sent(&pool, now() - older_than).await.context("deleting sent mail")?;
    println!("deleted {n} sent mail(s) older than {}", human(older_than));
    Ok(())
}

fn mail_id(id: &str) -> Result<String, String> {
    uuid::Uuid::parse_str(id).map(|_| id.to_owned()).map_err(|_| "not a mail id (a UUID)".to_owned())
}

/// `30d`, `12h`, `90m` in seconds.
fn age_in_seconds(age: &str) -> Result<i64, String> {
    let bad = || "wants a number of days, hours or minutes, like 30d, 12h or 90m".to_owned();
    let age = age.trim();
    let unit = match age.chars().last() {
        Some('d') => 86_400,
        Some('h') => 3_600,
        Some('m') => 60,
        _ => return Err(bad()),
    };
    // The unit is one ASCII byte, so this cut is on a character boundary.
    let n: i64 = age[..age.len() - 1].parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
    n.checked_mul(unit).ok_or_else(bad)
}

fn human(seconds: i64) -> String {
    match seconds {
        s if s % 86_400 == 0 => format!("{} day(s)", s / 86_400),
        s if s % 3_600 == 0 => format!("{} hour(s)", s / 3_600),
        s => format!("{} minute(s)", s / 60),
    }
}

/// The queue: pending and undelivered mail, and the latest sent.
///
/// # Errors
/// When the database can't be reached.
pub async fn list() -> anyhow::Result<()> {
    let pool = connect().await?;
    let mails = outbox::list(&pool, 20).await.context("reading the outbox")?;
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
