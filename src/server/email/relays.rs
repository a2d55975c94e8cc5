//! The SMTP relays a mail goes through: the primary (`MAIL_SERVER`) and, when one is configured,
//! the fallback (`MAIL_FALLBACK_SERVER`), which takes the very same attempt when the primary fails
//! the conversation, and every attempt while the breaker (`breaker`) holds the primary failing.
//! Without a fallback, a mail goes to the primary alone, as it always did.

use super::{
    breaker::{Breaker, Change, FAILURES_TO_OPEN, Route},
    connection::{Connector, Security},
    smtp::{Pool, SendError},
};
use crate::server::{
    config::relay::{FallbackSettings, RelaySettings},
    metrics,
};
use anyhow::{Context, bail};
use lettre::{address::Envelope, transport::smtp::authentication::Credentials};
use rustls::pki_types::{CertificateDer, pem::PemObject};
use std::{
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

/// How long one SMTP conversation with one relay may take.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections open at once, per relay: as many as the outbox worker sends in parallel.
const POOL_SIZE: usize = 8;
/// An idle connection is closed after this.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Which relay carried a mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    Primary,
    Fallback,
}

impl Carrier {
    pub fn name(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Fallback => "fallback",
        }
    }
}

/// Why the relays did not take a mail: the last relay's failure, which decides what happens to
/// the mail, and the primary's, when the fallback was tried after it.
#[derive(Debug)]
pub struct Failed {
    pub error: SendError,
    primary: Option<SendError>,
    via_fallback: bool,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.primary, self.via_fallback) {
            (_, false) => write!(f, "{}", self.error),
            (Some(primary), true) => write!(f, "fallback relay: {} (primary relay: {primary})", self.error),
            (None, true) => write!(f, "fallback relay: {} (the primary relay is failing)", self.error),
        }
    }
}

/// One relay's connections, and how the log names it (never with its credentials).
struct Relay {
    pool: Arc<Pool>,
    describe: String,
}

impl Relay {
    /// `prefix` names the relay's variables in errors (`MAIL_`, `MAIL_FALLBACK_`).
    fn new(relay: &RelaySettings, prefix: &str) -> anyhow::Result<Self> {
        let server = &relay.server;
        let extra_roots = match &relay.ca_file {
            Some(path) => read_certificates(path).with_context(|| format!("{prefix}CA_FILE ({})", path.display()))?,
            None => Vec::new(),
        };
        let var = |name: &str| format!("{prefix}{name}");
        let (security, name) = if relay.use_ssl {
            let implicit = Security::implicit(server, &extra_roots);
            (implicit.with_context(|| format!("{} or {}", var("SERVER"), var("CA_FILE")))?, "TLS")
        } else {
            // Without either setting: plain SMTP (a local relay or a test server), upgraded when
            // the server offers STARTTLS.
            let starttls = Security::starttls(server, &extra_roots, relay.use_tls).with_context(|| var("CA_FILE"))?;
            (starttls, if relay.use_tls { "STARTTLS" } else { "plain or opportunistic STARTTLS" })
        };
        let credentials = relay.username.as_ref().map(|username| {
            let password = relay.password.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default();
            Credentials::new(username.clone(), password)
        });
        let describe = format!("SMTP {server}:{} ({name})", relay.port);
        let connector = Connector { host: server.clone(), port: relay.port, security, credentials };
        Ok(Self { pool: Pool::new(connector, POOL_SIZE, SMTP_TIMEOUT, IDLE_TIMEOUT), describe })
    }
}

pub struct Relays {
    primary: Relay,
    fallback: Option<(Relay, Mutex<Breaker>)>,
}

impl Relays {
    /// # Errors
    /// An invalid server name or an unreadable CA file, named by its variable.
    pub fn new(primary: &RelaySettings, fallback: Option<&FallbackSettings>) -> anyhow::Result<Self> {
        let fallback = match fallback {
            Some(settings) => {
                let relay = Relay::new(&settings.relay, "MAIL_FALLBACK_")?;
                Some((relay, Mutex::new(Breaker::new(settings.probe_after, SMTP_TIMEOUT))))
            }
            None => None,
        };
        Ok(Self { primary: Relay::new(primary, "MAIL_")?, fallback })
    }

    pub fn describe(&self) -> String {
        match &self.fallback {
            Some((fallback, _)) => format!("{}, falling back to {}", self.primary.describe, fallback.describe),
            None => self.primary.describe.clone(),
        }
    }

    /// The longest one mail may take: an SMTP timeout for each relay it may try.
    pub fn longest_send(&self) -> Duration {
        if self.fallback.is_some() { 2 * SMTP_TIMEOUT } else { SMTP_TIMEOUT }
    }

    /// Sends one message through the primary, or through the fallback when the primary fails the
    /// conversation or the breaker holds it failing; says which relay took it.
    ///
    /// # Errors
    /// The last relay tried refused the mail, or failed.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<Carrier, Failed> {
        let Some((fallback, breaker)) = &self.fallback else {
            let sent = self.primary.pool.send(envelope, message).await;
            return self.carried(Carrier::Primary, sent, None);
        };
        let breaker = || breaker.lock().unwrap_or_else(PoisonError::into_inner);
        let route = breaker().route(Instant::now());
        let mut primary = None;
        if route != Route::Fallback {
            match self.primary.pool.send(envelope, message).await {
                Err(error) if error.fails_the_relay() => {
                    let change = breaker().primary_failed(route, Instant::now());
                    self.log(fallback, change, Some(&error));
                    primary = Some(error);
                }
                sent => {
                    let change = breaker().primary_worked(route);
                    self.log(fallback, change, None);
                    return self.carried(Carrier::Primary, sent, None);
                }
            }
        }
        let sent = fallback.pool.send(envelope, message).await;
        self.carried(Carrier::Fallback, sent, primary)
    }

    fn carried(
        &self,
        carrier: Carrier,
        sent: Result<(), SendError>,
        primary: Option<SendError>,
    ) -> Result<Carrier, Failed> {
        match sent {
            Ok(()) => {
                metrics::mail_relay(carrier.name());
                Ok(carrier)
            }
            Err(error) => Err(Failed { error, primary, via_fallback: carrier == Carrier::Fallback }),
        }
    }

    /// A line for each change of route; the errors are SMTP replies and I/O errors, and the relays
    /// are named by host and port, never with credentials.
    fn log(&self, fallback: &Relay, change: Option<Change>, error: Option<&SendError>) {
        let (primary, fallback) = (&self.primary.describe, &fallback.describe);
        let error = error.map(|e| e.to_string().replace(['\r', '\n'], " ")).unwrap_or_default();
        match change {
            Some(Change::Opened { window }) => tracing::warn!(%primary, %fallback, %error,
                failures_in_a_row = FAILURES_TO_OPEN, probe_in_secs = window.as_secs(),
                "the primary SMTP relay keeps failing: mail goes through the fallback relay"),
            Some(Change::StillOpen { window }) => tracing::warn!(%primary, %fallback, %error,
                probe_in_secs = window.as_secs(), "the primary SMTP relay still fails: mail keeps going through the fallback relay"),
            Some(Change::Closed) => {
                tracing::info!(%primary, "the primary SMTP relay works again: mail goes through it")
            }
            None if !error.is_empty() => tracing::info!(%primary, %fallback, %error,
                "the primary SMTP relay failed: this mail goes through the fallback relay"),
            None => {}
        }
    }
}

/// Every certificate in a PEM file (at least one).
fn read_certificates(path: &std::path::Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_file_iter(path)
        .context("could not open it")?
        .collect::<Result<Vec<_>, _>>()
        .context("could not read its certificates")?;
    if certificates.is_empty() {
        bail!("it holds no PEM certificate");
    }
    Ok(certificates)
}
