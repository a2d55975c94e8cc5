//! Rate limits that hold across every server: each limit is a named allowance per subject (a login
//! name, a client network, an account), kept in the database and spent by one atomic statement
//! (`db::limits::take`), so N servers allow exactly what one would, and a restart forgets nothing.
//!
//! The rule is GCRA (see the `rate_limits` migration): `max` attempts at once, then one more every
//! `window / max`. Over any long stretch that is `max` per `window`; a person who was refused waits
//! `window / max`, not a whole window.

use crate::server::{
    auth::keys::{self, DerivedKey},
    clock::now_ms,
    db::{Pool, limits},
    network::ClientNetwork,
};
use anyhow::Context;
use hmac::Mac;
use std::time::Duration;

/// A named allowance: `max` attempts per `window` for each subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub name: &'static str,
    pub max: u32,
    pub window: Duration,
}

/// A limit per client network ([`ClientNetwork`]: an IPv4 address, an IPv6 /64), and a looser one
/// (`SITE_FACTOR` times) on the IPv6 /48 around it. Its parts are private: it is spent only
/// through [`Limiter::spend_network`], which spends both, so no caller can forget the /48.
///
/// The names of the limits that keyed on addresses before stay as they were (`login-address`…):
/// new names would hand every client a fresh allowance on the day of the upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkLimit {
    network: Limit,
    site: Limit,
}

/// How much more a whole IPv6 /48 may do than one /64 of it. Tunnel brokers hand out /48s for
/// free, so a client rotating through its /64s would otherwise multiply every per-network limit
/// by 65 536; a site with a few busy networks (a campus, an office building) still fits in 4.
const SITE_FACTOR: u32 = 4;

impl NetworkLimit {
    pub const fn new(name: &'static str, site_name: &'static str, max: u32, window: Duration) -> Self {
        Self {
            network: Limit { name, max, window },
            site: Limit { name: site_name, max: max.saturating_mul(SITE_FACTOR), window },
        }
    }
}

const FIFTEEN_MINUTES: Duration = Duration::from_secs(15 * 60);
const HOUR: Duration = Duration::from_secs(3600);

/// Failed logins per login name (username or email, whether or not it exists, so the limit reveals
/// nothing): slows guessing one account's password.
pub const LOGIN_PER_NAME: Limit = Limit { name: "login-name", max: 10, window: FIFTEEN_MINUTES };
/// Failed logins per client network: slows one client guessing across many accounts.
pub const LOGIN_PER_NETWORK: NetworkLimit = NetworkLimit::new("login-address", "login-site", 100, FIFTEEN_MINUTES);
/// Wrong old passwords on the password-change form, per account: a stolen session can't be used to
/// guess the password.
pub const PASSWORD_CHANGE_PER_ACCOUNT: Limit = Limit { name: "password-change", max: 5, window: FIFTEEN_MINUTES };

// The hash allowances. The hasher runs one argon2 hash per core at a time, so a loop of requests
// that each cost one starves every login and registration. The limits on failures above can't stop
// it: a success clears them, and a loop of right passwords (changing the password back and forth,
// logging in again and again) never fails. So every request that hashes a password spends these
// first, and nothing gives them back: generous for people, fatal to a loop.

/// Logins per login name, right or wrong: keyed as [`LOGIN_PER_NAME`] is and spent whether or not
/// the name exists, so a refusal says nothing about who has an account. 30 an hour (then one
/// every 2 minutes) is more logins than anyone types, on all their devices together.
pub const LOGIN_HASHES_PER_NAME: Limit = Limit { name: "login-hash", max: 30, window: HOUR };

/// Hashes per account on the forms that ask for the password again (changing the password costs
/// two: the old one checked and the new one hashed; changing the address or deleting the account
/// one). 30 an hour (then one every 2 minutes) is 15 password changes, where a person makes one.
pub const PASSWORD_HASHES_PER_ACCOUNT: Limit = Limit { name: "password-hash-account", max: 30, window: HOUR };

/// Hashes per client network (`PASSWORD_HASHES_PER_IP`, default 300 an hour, then one every 12 s),
/// across everything that hashes: logins, the forms that ask for the password again,
/// registrations and resets. 300 lets an office behind one NAT all log in within the same
/// minute; a loop at hash speed (tens a second) spends it in seconds and then gets one hash in
/// every 12 s instead of a core.
pub fn password_hashes_per_network(max: u32) -> NetworkLimit {
    NetworkLimit::new("password-hash-network", "password-hash-site", max, HOUR)
}

/// Address changes asked for, per account: each one mails a stranger's inbox, maybe.
pub const EMAIL_CHANGE_PER_ACCOUNT: Limit = Limit { name: "email-change", max: 5, window: Duration::from_secs(3600) };

/// Registrations per client network (`REGISTRATIONS_PER_IP`): one client can neither fill the
/// users table nor keep the password hasher busy.
pub fn registrations_per_network(max: u32) -> NetworkLimit {
    NetworkLimit::new("register-address", "register-site", max, HOUR)
}

/// Registrations per email address, counted whether or not the address has an account, so being
/// refused says nothing about who has one: a stranger's address can't be used over and over.
pub const REGISTRATIONS_PER_EMAIL: Limit = Limit { name: "register-email", max: 3, window: HOUR };

/// Confirmation mails asked for per client network. Each account's mail budget already spaces its
/// own resends; this caps a client that holds many unconfirmed sessions.
pub const RESENDS_PER_NETWORK: NetworkLimit = NetworkLimit::new("resend-address", "resend-site", 20, HOUR);

/// Password-reset requests per client network (`RESET_REQUESTS_PER_IP`): stops one client
/// flooding inboxes.
pub fn reset_requests_per_network(max: u32) -> NetworkLimit {
    NetworkLimit::new("reset-address", "reset-site", max, FIFTEEN_MINUTES)
}

/// Reset codes tried per client network: as many as reset mails it may ask for, times the five
/// tries each code has.
pub fn reset_codes_per_network(max_requests: u32) -> NetworkLimit {
    NetworkLimit::new("reset-code-address", "reset-code-site", max_requests.saturating_mul(5), FIFTEEN_MINUTES)
}

/// One allowance to spend (see [`Limiter::spend_in_turn`]): a limit on a subject (a login name, an
/// account, an email address), or a limit on a client's network.
#[derive(Debug, Clone, Copy)]
pub enum Allowance<'a> {
    Subject(&'a Limit, &'a str),
    Network(&'a NetworkLimit, ClientNetwork),
}

impl Limit {
    /// The time that earns one attempt back.
    fn interval_ms(&self) -> i64 {
        (self.window.as_millis() as i64 / i64::from(self.max.max(1))).max(1)
    }

    /// How far ahead of now the state may run and still allow an attempt: `max - 1` intervals.
    fn tolerance_ms(&self) -> i64 {
        self.interval_ms() * (i64::from(self.max.max(1)) - 1)
    }
}

/// An attempt the limit refused; `retry_after` is in whole seconds (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub retry_after: u64,
}

/// Spends and restores allowances. Subjects are stored as keyed hashes: the table holds neither
/// addresses nor login names, and every key has the same short length whatever a client sends.
#[derive(Clone)]
pub struct Limiter {
    pool: Pool,
    hash_key: DerivedKey,
}

impl Limiter {
    /// Every server derives the same hash key from the shared `SECRET_KEY`, so they share rows.
    pub fn new(pool: Pool, secret: &[u8]) -> Self {
        Self { pool, hash_key: DerivedKey::derive(secret, keys::RATE_LIMIT_SUBJECT) }
    }

    fn key(&self, limit: &Limit, subject: &str) -> String {
        use base64::Engine;
        let mut mac = self.hash_key.mac();
        mac.update(limit.name.as_bytes());
        mac.update(&[0]);
        mac.update(subject.as_bytes());
        let digest = mac.finalize().into_bytes();
        format!("{}:{}", limit.name, base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..18]))
    }

    /// Spends one attempt of `subject`'s allowance, or says how long to wait. Checking and
    /// counting are one statement: 50 concurrent attempts against an allowance of 10, on any
    /// number of servers, let exactly 10 through.
    ///
    /// # Errors
    /// On a database failure (the caller answers 500: a limit that can't be checked doesn't pass).
    pub async fn spend(&self, limit: &Limit, subject: &str) -> anyhow::Result<Result<(), Refused>> {
        let key = self.key(limit, subject);
        let now = now_ms();
        let allowed = limits::take(&self.pool, &key, now, limit.interval_ms(), limit.tolerance_ms())
            .await
            .with_context(|| format!("checking the {} limit", limit.name))?;
        if allowed {
            return Ok(Ok(()));
        }
        let tat = limits::tat(&self.pool, &key).await.with_context(|| format!("reading the {} limit", limit.name))?;
        let wait_ms = tat.map_or(0, |tat| tat - limit.tolerance_ms() - now);
        Ok(Err(Refused { retry_after: whole_seconds(wait_ms) }))
    }

    /// Gives back one attempt spent on `subject` (it turned out not to be a failure).
    ///
    /// # Errors
    /// On a database failure.
    pub async fn give_back(&self, limit: &Limit, subject: &str) -> anyhow::Result<()> {
        limits::give_back(&self.pool, &self.key(limit, subject), limit.interval_ms())
            .await
            .with_context(|| format!("updating the {} limit", limit.name))
    }

    /// Restores `subject`'s full allowance (after a success, earlier failures no longer count).
    ///
    /// # Errors
    /// On a database failure.
    pub async fn clear(&self, limit: &Limit, subject: &str) -> anyhow::Result<()> {
        limits::clear(&self.pool, &self.key(limit, subject))
            .await
            .with_context(|| format!("clearing the {} limit", limit.name))
    }

    /// Spends one attempt of `client`'s network allowance and, for an IPv6 client, of its /48's;
    /// when the /48 refuses, the network gets its attempt back.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn spend_network(
        &self,
        limit: &NetworkLimit,
        client: ClientNetwork,
    ) -> anyhow::Result<Result<(), Refused>> {
        let network = client.to_string();
        if let Err(refused) = self.spend(&limit.network, &network).await? {
            return Ok(Err(refused));
        }
        if let Some(site) = client.site()
            && let Err(refused) = self.spend(&limit.site, &site).await?
        {
            self.give_back(&limit.network, &network).await?;
            return Ok(Err(refused));
        }
        Ok(Ok(()))
    }

    /// Gives back one attempt spent by [`Limiter::spend_network`], to the network and its /48.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn give_back_network(&self, limit: &NetworkLimit, client: ClientNetwork) -> anyhow::Result<()> {
        self.give_back(&limit.network, &client.to_string()).await?;
        if let Some(site) = client.site() {
            self.give_back(&limit.site, &site).await?;
        }
        Ok(())
    }

    /// Spends each allowance in turn. The first that refuses stops the turn, and the ones spent
    /// before it are given back (the attempt was never made, so it counts nowhere); the refusal
    /// comes with the tag given beside its allowance (what the caller tells the client).
    ///
    /// # Errors
    /// On a database failure.
    pub async fn spend_in_turn<T: Copy>(
        &self,
        allowances: &[(Allowance<'_>, T)],
    ) -> anyhow::Result<Result<(), (T, Refused)>> {
        for (spent, (allowance, tag)) in allowances.iter().enumerate() {
            let refused = match allowance {
                Allowance::Subject(limit, subject) => self.spend(limit, subject).await?,
                Allowance::Network(limit, client) => self.spend_network(limit, *client).await?,
            };
            if let Err(refused) = refused {
                for (earlier, _) in allowances[..spent].iter().rev() {
                    match earlier {
                        Allowance::Subject(limit, subject) => self.give_back(limit, subject).await?,
                        Allowance::Network(limit, client) => self.give_back_network(limit, *client).await?,
                    }
                }
                return Ok(Err((*tag, refused)));
            }
        }
        Ok(Ok(()))
    }

    /// Deletes rows whose allowance is full again, every `every`, until `stop` fires. Safe on any
    /// number of servers at once: each sweep is one idempotent statement.
    pub fn spawn_sweeper(
        &self,
        every: Duration,
        stop: tokio_util::sync::CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let pool = self.pool.clone();
        crate::server::clock::spawn_every(every, stop, move || {
            let pool = pool.clone();
            async move {
                match limits::sweep(&pool, now_ms()).await {
                    Ok(n) if n > 0 => tracing::debug!(rows = n, "swept spent rate limits"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "could not sweep the rate limits; will retry"),
                }
            }
        })
    }
}

/// Milliseconds as whole seconds for `Retry-After`: rounded up, and at least 1.
fn whole_seconds(ms: i64) -> u64 {
    (ms.max(1) as u64).div_ceil(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowance_is_max_at_once_then_one_per_interval() {
        assert_eq!(LOGIN_PER_NAME.interval_ms(), 90_000);
        assert_eq!(LOGIN_PER_NAME.tolerance_ms(), 9 * 90_000);
        let one = Limit { name: "one", max: 1, window: Duration::from_secs(60) };
        assert_eq!((one.interval_ms(), one.tolerance_ms()), (60_000, 0));
    }

    #[test]
    fn a_whole_48_may_do_four_times_what_one_of_its_64s_may() {
        let limit = reset_requests_per_network(30);
        assert_eq!((limit.network.max, limit.site.max), (30, 120));
        assert_eq!(limit.network.window, limit.site.window);
        assert_ne!(limit.network.name, limit.site.name, "the two keep rows of their own");
        assert_eq!(reset_codes_per_network(u32::MAX).site.max, u32::MAX, "saturates");
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(whole_seconds(1), 1);
        assert_eq!(whole_seconds(1000), 1);
        assert_eq!(whole_seconds(1001), 2);
        assert_eq!(whole_seconds(-5), 1, "a refusal always asks for some wait");
    }
}
