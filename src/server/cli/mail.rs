//! `madblog mail …`: the mail queue (`queue`, `retry`, `purge-sent`, as `madblog outbox …`), the
//! suppression list (`suppressions`, `unsuppress ADDRESS`), the bounce pipe (`bounce`) and the DKIM
//! key's DNS record (`dkim-record`).

use super::outbox::{self, PurgeSent, Retry};
use crate::server::{
    clock::{now, rfc3339},
    config::Settings,
    db::{self, suppressions},
    email::{feedback::Feedback, suppression::Suppressions},
};
use anyhow::Context;
use clap::Subcommand;

/// `madblog mail …`: one variant per command, run by the one match in [`run`].
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Pending and undelivered mail, and the 20 latest sent (recipients masked)
    ///
    /// Undelivered mail (failed, bounced, suppressed) comes with the receiving server's whole reply.
    #[command(alias = "list")]
    Queue,
    /// Requeue one mail that was not delivered, or all of them
    Retry(Retry),
    /// Delete sent mails older than an age
    PurgeSent(PurgeSent),
    /// The addresses no mail goes to (bounced, or complained), and why
    Suppressions,
    /// Let mail go to an address again (its owner says the mailbox works)
    Unsuppress {
        /// The address, as its owner gives it
        address: String,
    },
    /// Print the DNS TXT record of the DKIM key (MAIL_DKIM_KEY_FILE) for MAIL_DKIM_SELECTOR
    DkimRecord,
    /// Read one bounce report or complaint on stdin (a mail server's pipe) and act on it
    ///
    /// It is acted on only if a return path tag in it verifies (see MAIL_BOUNCE_ADDRESS). Prints the
    /// verdict; exits 75 (try again later) when the report can't be recorded now, so that the mail
    /// server keeps it.
    Bounce {
        /// The address the report was delivered to (Postfix: ${original_recipient})
        #[arg(long, value_name = "ADDRESS")]
        recipient: Option<String>,
    },
}

/// Runs `madblog mail <command>`.
///
/// # Errors
/// When the database can't be reached, or an argument is not what it should be.
pub async fn run(command: MailCommand) -> anyhow::Result<()> {
    match command {
        MailCommand::Queue => outbox::list().await,
        MailCommand::Retry(which) => outbox::retry(which).await,
        MailCommand::PurgeSent(age) => outbox::purge_sent(age).await,
        MailCommand::Suppressions => list_suppressions().await,
        MailCommand::Unsuppress { address } => unsuppress(&address).await,
        MailCommand::DkimRecord => {
            let dkim = Settings::from_env()?.mail.dkim;
            let dkim = dkim.context("set MAIL_DKIM_DOMAIN, MAIL_DKIM_SELECTOR and MAIL_DKIM_KEY_FILE first")?;
            println!("{}", dkim.dns_record());
            Ok(())
        }
        MailCommand::Bounce { recipient } => {
            if let Err(e) = bounce(recipient.as_deref()).await {
                // EX_TEMPFAIL: the mail server keeps the report and delivers it again later.
                eprintln!("madblog: {e:#}");
                std::process::exit(75);
            }
            Ok(())
        }
    }
}

async fn list_suppressions() -> anyhow::Result<()> {
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

async fn unsuppress(address: &str) -> anyhow::Result<()> {
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
