//! One SMTP relay's settings, read under a prefix: `MAIL_` for the primary (the seed's Flask-Mail
//! names, plus `MAIL_USE_TLS` for STARTTLS and `MAIL_CA_FILE`), `MAIL_FALLBACK_` for the relay
//! that takes over while the primary fails. Each refuses a login that could cross in clear text.

use super::{env::Env, secret::Secret};
use anyhow::{Context, bail};
use std::{path::PathBuf, time::Duration};

/// Where and how to reach one SMTP relay.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    pub server: String,
    pub port: u16,
    /// Implicit TLS from the first byte (`<prefix>USE_SSL`, usually port 465).
    pub use_ssl: bool,
    /// STARTTLS, required (`<prefix>USE_TLS`, usually port 587).
    pub use_tls: bool,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// PEM certificates trusted for the relay's TLS besides the public roots (a private CA).
    pub ca_file: Option<PathBuf>,
    /// `<prefix>ALLOW_PLAINTEXT_AUTH`: log in without TLS (a relay on this machine or a trusted
    /// network). Without it, credentials need `<prefix>USE_SSL` or `<prefix>USE_TLS`.
    pub allow_plaintext_auth: bool,
}

impl RelaySettings {
    /// The relay named by `<prefix>SERVER` and the variables beside it, or `None` when
    /// `<prefix>SERVER` is unset.
    ///
    /// # Errors
    /// A value that doesn't parse, or a login that could cross the network in clear text (checked
    /// even without a server: a password set by mistake is worth a word at start).
    pub fn read(env: &Env<'_>, prefix: &str) -> anyhow::Result<Option<Self>> {
        let var = |name: &str| format!("{prefix}{name}");
        let port = match env.text(&var("PORT")) {
            Some(p) => p.trim().parse().with_context(|| format!("{} must be a port number", var("PORT")))?,
            None => 25,
        };
        let (use_ssl, use_tls) = (env.flag(&var("USE_SSL"))?, env.flag(&var("USE_TLS"))?);
        let username = env.text(&var("USERNAME"));
        let password = env.text(&var("PASSWORD")).map(Secret::new);
        let allow_plaintext_auth = env.flag(&var("ALLOW_PLAINTEXT_AUTH"))?;
        // Without either, STARTTLS is only used when the server offers it, and a man in the middle
        // who strips the offer from the greeting is handed the password in clear text.
        let logs_in = username.is_some() || password.is_some();
        if logs_in && !use_ssl && !use_tls && !allow_plaintext_auth {
            bail!(
                "{p}USERNAME or {p}PASSWORD is set without {p}USE_SSL or {p}USE_TLS: the password could cross the \
                 network in clear text. Set {p}USE_SSL=true (implicit TLS, port 465) or {p}USE_TLS=true (STARTTLS, \
                 required), or {p}ALLOW_PLAINTEXT_AUTH=true for a relay on this machine",
                p = prefix
            );
        }
        let Some(server) = env.text(&var("SERVER")) else { return Ok(None) };
        let ca_file = env.text(&var("CA_FILE")).map(PathBuf::from);
        Ok(Some(Self { server, port, use_ssl, use_tls, username, password, ca_file, allow_plaintext_auth }))
    }
}

/// The relay mail goes through while the primary fails, and how soon the primary is tried again.
#[derive(Debug, Clone)]
pub struct FallbackSettings {
    pub relay: RelaySettings,
    /// `MAIL_FALLBACK_PROBE_SECONDS` (30): how long mail goes through the fallback after the
    /// primary failed before one mail tries the primary again; doubled after each failed try, up
    /// to five minutes (or this, if longer).
    pub probe_after: Duration,
}

impl FallbackSettings {
    /// The fallback relay (`MAIL_FALLBACK_*`), if `MAIL_FALLBACK_SERVER` is set.
    ///
    /// # Errors
    /// As [`RelaySettings::read`]; a fallback without a primary (`MAIL_SERVER`); a
    /// `MAIL_FALLBACK_*` variable set without `MAIL_FALLBACK_SERVER`.
    pub fn read(env: &Env<'_>, primary: Option<&RelaySettings>) -> anyhow::Result<Option<Self>> {
        const PREFIX: &str = "MAIL_FALLBACK_";
        let relay = RelaySettings::read(env, PREFIX)?;
        let probe_after = env.seconds("MAIL_FALLBACK_PROBE_SECONDS", 30)?;
        let Some(relay) = relay else {
            // A fallback half configured would be silently ignored: say so at start instead.
            let stray: Vec<&str> = [
                "PORT",
                "USE_SSL",
                "USE_TLS",
                "USERNAME",
                "PASSWORD",
                "CA_FILE",
                "ALLOW_PLAINTEXT_AUTH",
                "PROBE_SECONDS",
            ]
            .into_iter()
            .filter(|name| env.text(&format!("{PREFIX}{name}")).is_some())
            .collect();
            if let Some(first) = stray.first() {
                bail!("{PREFIX}{first} is set without MAIL_FALLBACK_SERVER: set the fallback relay's server too");
            }
            return Ok(None);
        };
        if primary.is_none() {
            bail!("MAIL_FALLBACK_SERVER is set without MAIL_SERVER: a fallback relay needs a primary one");
        }
        Ok(Some(Self { relay, probe_after }))
    }
}
