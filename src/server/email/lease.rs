//! The lease a worker holds on a mail while it sends it: taken back from now right before the
//! send, renewed every third of its length during it, and given up (with the send) once the worker
//! can no longer be sure it holds the mail. See `worker` for why.

use crate::server::{
    clock::now,
    db::{Pool, outbox},
};
use std::time::Duration;

/// Why a worker stopped sending a mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lost {
    /// Another worker claimed it.
    Claimed,
    /// No renewal got through for a whole lease (the database was out of reach or too slow).
    Unconfirmed,
}

impl Lost {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Claimed => "another worker claimed it",
            Self::Unconfirmed => "no renewal got through for a whole lease",
        }
    }
}

/// Holds `id` for one lease from now under `lease_token`. `Some(instant)` until which, by this
/// process's clock, no other worker can claim it; `None` when the claim is no longer this one's.
pub async fn hold(
    pool: &Pool,
    lease: Duration,
    id: &str,
    lease_token: &str,
) -> Result<Option<tokio::time::Instant>, sqlx::Error> {
    // Measured before the clock is read: `leased_until` is that second plus the lease, and the
    // lease runs out only once a claimer's clock reads a later second, so it holds at least the
    // whole lease from here.
    let asked = tokio::time::Instant::now();
    let held = outbox::hold(pool, id, lease_token, now() + secs(lease)).await?;
    Ok(held.then_some(asked + Duration::from_secs(secs(lease) as u64)))
}

/// Renews the lease of a mail being sent, every third of the lease; returns only once this
/// worker can no longer be sure it holds the mail. The send it races is bounded by
/// `send_timeout`, so a live worker holds a mail no longer than that.
pub async fn keep_held(
    pool: &Pool,
    lease: Duration,
    id: &str,
    lease_token: &str,
    mut held_until: tokio::time::Instant,
) -> Lost {
    let every = Duration::from_secs(secs(lease) as u64) / 3;
    loop {
        tokio::time::sleep_until((tokio::time::Instant::now() + every).min(held_until)).await;
        if tokio::time::Instant::now() >= held_until {
            return Lost::Unconfirmed;
        }
        // A renewal that is still waiting for the database when the lease runs out can't help.
        match tokio::time::timeout_at(held_until, hold(pool, lease, id, lease_token)).await {
            Ok(Ok(Some(until))) => held_until = until,
            Ok(Ok(None)) => return Lost::Claimed,
            Ok(Err(e)) => {
                tracing::warn!(mail_id = %id, error = %e, "could not renew the lease of a mail being sent; trying again")
            }
            Err(_) => return Lost::Unconfirmed,
        }
    }
}

/// The lease in whole seconds (the outbox's clock), at least one.
pub fn secs(lease: Duration) -> i64 {
    lease.as_secs().max(1) as i64
}
