//! Rate limits that hold across every server: each limit is a named allowance per subject (a login
//! name, a client address, an account), kept in the database and spent by one atomic statement
//! (`db::limits::take`), so N servers allow exactly what one would, and a restart forgets nothing.
//!
//! The rule is GCRA (see the `rate_limits` migration): `max` attempts at once, then one more every
//! `window / max`. Over any long stretch that is `max` per `window`; a person who was refused waits
//! `window / max`, not a whole window.

use crate::server::db::{Pool, limits};
use anyhow::Context;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// A named allowance: `max` attempts per `window` for each subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub name: &'static str,
    pub max: u32,
    pub window: Duration,
}

const FIFTEEN_MINUTES: Duration = Duration::from_secs(15 * 60);

/// Failed logins per login name (username or email, whether or not it exists, so the limit reveals
/// nothing): slows guessing one account's password.
pub const LOGIN_PER_NAME: Limit = Limit { name: "login-name", max: 10, window: FIFTEEN_MINUTES };
/// Failed logins per client address: slows one client guessing across many accounts.
pub const LOGIN_PER_ADDRESS: Limit = Limit { name: "login-address", max: 100, window: FIFTEEN_MINUTES };
/// Wrong old passwords on the password-change form, per account: a stolen session can't be used to
/// guess the password.
pub const PASSWORD_CHANGE_PER_ACCOUNT: Limit = Limit { name: "password-change", max: 5, window: FIFTEEN_MINUTES };

/// Address changes asked for, per account: each one mails a stranger's inbox, maybe.
pub const EMAIL_CHANGE_PER_ACCOUNT: Limit = Limit { name: "email-change", max: 5, window: Duration::from_secs(3600) };

const HOUR: Duration = Duration::from_secs(3600);

/// Registrations per client address (`REGISTRATIONS_PER_IP`): one client can neither fill the
/// users table nor keep the password hasher busy.
pub fn registrations_per_address(max: u32) -> Limit {
    Limit { name: "register-address", max, window: HOUR }
}

/// Registrations per email address, counted whether or not the address has an account, so being
/// refused says nothing about who has one: a stranger's address can't be used over and over.
pub const REGISTRATIONS_PER_EMAIL: Limit = Limit { name: "register-email", max: 3, window: HOUR };

/// Confirmation mails asked for per client address. Each account's mail budget already spaces its
/// own resends; this caps a client that holds many unconfirmed sessions.
pub const RESENDS_PER_ADDRESS: Limit = Limit { name: "resend-address", max: 20, window: HOUR };

/// Password-reset requests per client address (`RESET_REQUESTS_PER_IP`): stops one client flooding
/// inboxes.
pub fn reset_requests_per_address(max: u32) -> Limit {
    Limit { name: "reset-address", max, window: FIFTEEN_MINUTES }
}

/// Reset codes tried per client address: as many as reset mails it may ask for, times the five
/// tries each code has.
pub fn reset_codes_per_address(max_requests: u32) -> Limit {
    Limit { name: "reset-code-address", max: max_requests.saturating_mul(5), window: FIFTEEN_MINUTES }
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
    hash_key: [u8; 32],
}

impl Limiter {
    /// Every server derives the same hash key from the shared `SECRET_KEY`, so they share rows.
    pub fn new(pool: Pool, secret: &[u8]) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
        mac.update(b"madblog/rate-limit-subject/v1");
        Self { pool, hash_key: mac.finalize().into_bytes().into() }
    }

    fn key(&self, limit: &Limit, subject: &str) -> String {
        use base64::Engine;
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.hash_key).expect("HMAC takes keys of any length");
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

    /// Deletes rows whose allowance is full again, every `every`, until `stop` fires. Safe on any
    /// number of servers at once: each sweep is one idempotent statement.
    pub fn spawn_sweeper(
        &self,
        every: Duration,
        stop: tokio_util::sync::CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let pool = self.pool.clone();
        crate::server::spawn_every(every, stop, move || {
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

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
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
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(whole_seconds(1), 1);
        assert_eq!(whole_seconds(1000), 1);
        assert_eq!(whole_seconds(1001), 2);
        assert_eq!(whole_seconds(-5), 1, "a refusal always asks for some wait");
    }
}
