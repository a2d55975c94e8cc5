//! The housekeeping job: when unconfirmed accounts are reminded and deleted, and how often it runs.

use super::env::Env;
use anyhow::bail;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct LifecycleSettings {
    /// When an unconfirmed account gets its one reminder (`UNCONFIRMED_REMIND_DAYS`, 3).
    pub unconfirmed_remind: Duration,
    /// When an unconfirmed account is deleted (`UNCONFIRMED_PURGE_DAYS`, 7; after the reminder).
    pub unconfirmed_purge: Duration,
    /// How often each server runs the housekeeping job (`HOUSEKEEPING_INTERVAL_SECONDS`, 600).
    pub housekeeping_every: Duration,
}

impl LifecycleSettings {
    /// # Errors
    /// A value that is not a positive whole number, or a purge that would come before the reminder.
    pub fn read(env: &Env<'_>) -> anyhow::Result<Self> {
        let unconfirmed_remind = env.days("UNCONFIRMED_REMIND_DAYS", 3)?;
        let unconfirmed_purge = env.days("UNCONFIRMED_PURGE_DAYS", 7)?;
        if unconfirmed_purge <= unconfirmed_remind {
            let days = |d: Duration| d.as_secs() / 86_400;
            bail!(
                "UNCONFIRMED_PURGE_DAYS ({}) must be more than UNCONFIRMED_REMIND_DAYS ({})",
                days(unconfirmed_purge),
                days(unconfirmed_remind)
            );
        }
        Ok(Self {
            unconfirmed_remind,
            unconfirmed_purge,
            housekeeping_every: env.seconds("HOUSEKEEPING_INTERVAL_SECONDS", 600)?,
        })
    }
}
