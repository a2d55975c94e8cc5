//! The suppression list's rules: which address a mail may not go to, for how long, and which
//! mails still go despite a complaint. The statements are `db::suppressions`.

use super::transport::mask_address;
use crate::server::{
    auth::keys::{self, DerivedKey},
    clock::now,
    db::{Pool, suppressions},
};
use std::time::Duration;

/// Why an address is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The receiving server said the mailbox doesn't exist: nothing goes there any more.
    Bounce,
    /// The person marked our mail as spam: only mail they ask for goes (a reset, a resent
    /// confirmation), never a notice or a reminder.
    Complaint,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Self::Bounce => "bounce",
            Self::Complaint => "complaint",
        }
    }

    fn from_name(name: &str) -> Self {
        if name == "complaint" { Self::Complaint } else { Self::Bounce }
    }
}

/// The suppression list, keyed by a keyed hash of each address.
#[derive(Clone)]
pub struct Suppressions {
    key: DerivedKey,
    keep: Duration,
}

impl std::fmt::Debug for Suppressions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Suppressions").field("keep", &self.keep).finish_non_exhaustive()
    }
}

impl Suppressions {
    /// `keep`: how long an address stays suppressed (`MAIL_SUPPRESS_DAYS`).
    pub fn new(secret: &[u8], keep: Duration) -> Self {
        Self { key: DerivedKey::derive(secret, keys::SUPPRESSED_ADDRESS), keep }
    }

    /// The keyed hash of an address's [`email_key`].
    fn key_of(&self, address: &str) -> String {
        self.key.hex_mac_of(&[&email_key(address)])
    }

    /// Why a mail to `address` must not go, if it must not: a bounce stops every mail, a
    /// complaint every mail the person didn't just ask for (`requested`).
    ///
    /// # Errors
    /// On a database failure.
    pub async fn stops(&self, pool: &Pool, address: &str, requested: bool) -> Result<Option<String>, sqlx::Error> {
        let found = suppressions::find(pool, &self.key_of(address), now()).await?;
        Ok(found.and_then(|(reason, reply)| match Reason::from_name(&reason) {
            Reason::Complaint if requested => None,
            reason => Some(format!("the address is suppressed ({}): {reply}", reason.name())),
        }))
    }

    /// Puts `address` on the list for `MAIL_SUPPRESS_DAYS`, with the server's `reply`.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn add(&self, pool: &Pool, address: &str, reason: Reason, reply: &str) -> Result<(), sqlx::Error> {
        let now = now();
        let until = now + self.keep.as_secs() as i64;
        suppressions::add(
            pool,
            &self.key_of(address),
            &email_key(address),
            &mask_address(address),
            reason.name(),
            reply,
            now,
            until,
        )
        .await
    }

    /// Takes `address` off the list; whether it was on it.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn remove(&self, pool: &Pool, address: &str) -> Result<bool, sqlx::Error> {
        suppressions::remove(pool, &self.key_of(address), &email_key(address)).await
    }
}

/// An address as `users.email_key` holds it (lower case): the outbox's recipients were parsed
/// once, so this is what that parse's key made of them.
fn email_key(address: &str) -> String {
    address.trim().to_lowercase()
}
