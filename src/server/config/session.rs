//! How long sessions and their tokens live (the `SESSION_*` variables).

use super::env::Env;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// How often a session's token is rotated (`SESSION_TTL_SECONDS`, 15 minutes): a request with a
    /// token past half of this gets the next generation (see `services::session::authenticate`).
    /// An older token is still accepted while its session lives: it is not an expiry.
    pub ttl: Duration,
    /// How long the previous token generation is still accepted after the current one was first
    /// used (`SESSION_REUSE_GRACE_SECONDS`, 30): another tab, a request in flight. After it, the
    /// previous generation is a copy, and ends the session.
    pub reuse_grace: Duration,
    /// How long a session lives after its last use (`SESSION_IDLE_DAYS`, 14).
    pub idle: Duration,
    /// How long a session lives at most, however much it is used (`SESSION_MAX_DAYS`, 90).
    pub max: Duration,
}

impl SessionSettings {
    /// # Errors
    /// A value that is not a positive whole number.
    pub fn read(env: &Env<'_>) -> anyhow::Result<Self> {
        Ok(Self {
            ttl: env.seconds("SESSION_TTL_SECONDS", 15 * 60)?,
            reuse_grace: env.seconds("SESSION_REUSE_GRACE_SECONDS", 30)?,
            idle: env.days("SESSION_IDLE_DAYS", 14)?,
            max: env.days("SESSION_MAX_DAYS", 90)?,
        })
    }
}
