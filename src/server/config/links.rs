//! The emailed links: how long they work, and the origins a client may ask them to point at.

use super::env::Env;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct LinkSettings {
    /// How long an emailed confirmation link (and its code) works (`CONFIRM_TTL_SECONDS`, 24 h).
    pub confirm_ttl: Duration,
    /// How long an emailed password-reset link (and its code) works (`RESET_TTL_SECONDS`, 1 h).
    pub reset_ttl: Duration,
    /// Origins a client may name in the seed's `confirm_email_base_url` (compatibility with the
    /// original front end; `LINK_ALLOWED_ORIGINS`). Empty by default: links are then built from
    /// `APP_URL` only.
    pub allowed_origins: Vec<String>,
}

impl LinkSettings {
    /// # Errors
    /// A value that doesn't parse.
    pub fn read(env: &Env<'_>) -> anyhow::Result<Self> {
        Ok(Self {
            confirm_ttl: env.seconds("CONFIRM_TTL_SECONDS", 24 * 3600)?,
            reset_ttl: env.seconds("RESET_TTL_SECONDS", 3600)?,
            allowed_origins: env.origins("LINK_ALLOWED_ORIGINS")?,
        })
    }
}
