//! Mail: the SMTP relays (see `relay`: the primary, named as in the seed, and an optional
//! fallback), the outbox worker's retry policy, and how long sent mail is kept.

use super::{
    dkim::DkimSettings,
    env::Env,
    relay::{FallbackSettings, RelaySettings},
    secret::Secret,
};
use anyhow::bail;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct MailSettings {
    /// The SMTP relay (`MAIL_SERVER`, `MAIL_PORT`, …); without one, development uses the dev
    /// mailbox.
    pub relay: Option<RelaySettings>,
    /// `MAIL_FALLBACK_SERVER` and the variables beside it: the relay that takes the mail while
    /// `relay` fails.
    pub fallback: Option<FallbackSettings>,
    pub sender: String,
    /// Attempts before a mail is given up (`MAIL_MAX_ATTEMPTS`, 20).
    pub max_attempts: i64,
    /// The longest wait between two attempts (`MAIL_BACKOFF_CAP_SECONDS`, 300).
    pub backoff_cap: Duration,
    /// How long a worker's claim on a mail lasts before another server may take it
    /// (`MAIL_LEASE_SECONDS`, 60); renewed while the mail is being sent.
    pub lease: Duration,
    /// How long sent mail stays in the outbox, for `madblog outbox list` (`OUTBOX_KEEP_DAYS`, 30);
    /// the housekeeping job deletes it after that. Mail given up on stays until it is retried.
    pub keep: Duration,
    /// How long an address stays suppressed after a bounce or a complaint (`MAIL_SUPPRESS_DAYS`,
    /// 90).
    pub suppress_for: Duration,
    /// `MAIL_BOUNCE_ADDRESS`: the address bounces go to, tagged per mail (see
    /// `email::return_path`). Without it, the envelope sender is `MAIL_SENDER`'s address.
    pub bounce_address: Option<String>,
    /// `MAIL_EVENTS_TOKEN`: enables `POST /hooks/mail-events` for this bearer token.
    pub events_token: Option<Secret>,
    /// `MAIL_DKIM_*`: every mail signed with this key, when set.
    pub dkim: Option<DkimSettings>,
}

impl MailSettings {
    /// # Errors
    /// A value that doesn't parse, a login that could cross the network in clear text, or a
    /// fallback relay half configured.
    pub fn read(env: &Env<'_>) -> anyhow::Result<Self> {
        let relay = RelaySettings::read(env, "MAIL_")?;
        let mail = Self {
            fallback: FallbackSettings::read(env, relay.as_ref())?,
            relay,
            sender: env.text("MAIL_SENDER").unwrap_or_else(|| "Madblog <no-reply@localhost>".into()),
            max_attempts: env.number("MAIL_MAX_ATTEMPTS", 20)? as i64,
            backoff_cap: env.seconds("MAIL_BACKOFF_CAP_SECONDS", 300)?,
            lease: env.seconds("MAIL_LEASE_SECONDS", 60)?,
            keep: env.days("OUTBOX_KEEP_DAYS", 30)?,
            suppress_for: env.days("MAIL_SUPPRESS_DAYS", 90)?,
            bounce_address: env.text("MAIL_BOUNCE_ADDRESS"),
            events_token: match env.text("MAIL_EVENTS_TOKEN") {
                Some(token) if token.trim().len() >= 16 => Some(Secret::new(token.trim())),
                Some(_) => bail!("MAIL_EVENTS_TOKEN must be at least 16 characters"),
                None => None,
            },
            dkim: DkimSettings::read(env)?,
        };
        Ok(mail)
    }
}
