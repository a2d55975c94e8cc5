//! `madblog mail …`: the mail queue (`queue`, `retry`, `purge-sent`, as `madblog outbox …`) and
//! the suppression list (`suppressions`, `unsuppress ADDRESS`).

use super::outbox;
use crate::server::{
    clock::{now, rfc3339},
    config::Settings,
    db::{self, suppressions},
    email::suppression::Suppressions,
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
        [] | ["suppressions", ..] | ["unsuppress", ..] => bail!(
            "usage: madblog mail queue | retry ID|--failed | purge-sent --older-than 30d | suppressions | \
             unsuppress ADDRESS (see madblog --help)"
        ),
        _ => outbox::run(args).await,
    }
}

async fn connect() -> anyhow::Result<(Settings, db::Pool)> {
    let settings = Settings::from_env()?;
    let pool = db::connect_with(&settings.database.url, settings.database.sqlite_sync).await?;
    Ok((settings, pool))
}
