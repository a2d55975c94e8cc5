//! The account's devices: what a session remembers about where it was opened, and the account's
//! own view of its sessions (list them, end one, end all but this one, log out).

use crate::{
    domain::{DeviceSession, SecurityEventKind},
    error::AppError,
    server::{
        db::sessions,
        services::{
            security,
            session::{CurrentUser, rfc3339},
        },
        state::AppState,
    },
};
use anyhow::Context;
use std::net::IpAddr;

/// Who is logging in from where: what a session row remembers to help its owner recognise it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub ip: IpAddr,
    /// Already short (see [`Device::describe`]).
    pub user_agent: String,
}

impl Device {
    /// A device from the client's address and its `User-Agent` header.
    pub fn new(ip: IpAddr, user_agent: Option<&str>) -> Self {
        Self { ip, user_agent: Self::describe(user_agent.unwrap_or_default()) }
    }

    /// "Firefox on Linux": the browser and the system a `User-Agent` names, or its first product
    /// token for other clients (`curl`), at most 60 characters. Only shown to the account's owner,
    /// never trusted.
    pub fn describe(user_agent: &str) -> String {
        let has = |needle: &str| user_agent.contains(needle);
        let browser = if has("Edg/") {
            Some("Edge")
        } else if has("OPR/") {
            Some("Opera")
        } else if has("Firefox/") {
            Some("Firefox")
        } else if has("Chrome/") || has("Chromium/") {
            Some("Chrome")
        } else if has("Safari/") {
            Some("Safari")
        } else {
            None
        };
        let system = if has("Android") {
            Some("Android")
        } else if has("iPhone") || has("iPad") {
            Some("iOS")
        } else if has("Windows") {
            Some("Windows")
        } else if has("Mac OS X") || has("Macintosh") {
            Some("macOS")
        } else if has("CrOS") {
            Some("ChromeOS")
        } else if has("Linux") {
            Some("Linux")
        } else {
            None
        };
        let text = match (browser, system) {
            (Some(b), Some(s)) => format!("{b} on {s}"),
            (Some(b), None) => b.to_owned(),
            _ => user_agent.split(['/', ' ']).next().unwrap_or_default().to_owned(),
        };
        let text: String = text.chars().filter(|c| !c.is_control()).take(60).collect();
        if text.trim().is_empty() { "unknown".to_owned() } else { text }
    }
}

/// Logs out the session the request was made with: its token is refused from now on.
///
/// # Errors
/// On a database failure.
pub async fn log_out(state: &AppState, user: &CurrentUser) -> anyhow::Result<()> {
    let mut tx = state.pool.begin().await.context("starting to log out")?;
    sessions::delete(&mut *tx, &user.row.id, &user.session.id).await.context("ending the session")?;
    security::record(&mut *tx, &user.row.id, SecurityEventKind::Logout, &user.device).await?;
    tx.commit().await.context("committing the logout")?;
    tracing::info!(user_id = %user.row.id, "logged out");
    Ok(())
}

/// The account's sessions, most recently used first, this one marked.
///
/// # Errors
/// On a database failure.
pub async fn list(state: &AppState, user: &CurrentUser) -> anyhow::Result<Vec<DeviceSession>> {
    let rows = sessions::list(&state.pool, &user.row.id).await.context("listing the sessions")?;
    Ok(rows
        .into_iter()
        .map(|s| DeviceSession {
            current: s.id == user.session.id,
            created_at: rfc3339(s.created_at),
            last_seen: rfc3339(s.last_seen),
            id: s.id,
            ip: s.ip,
            user_agent: s.user_agent,
        })
        .collect())
}

#[derive(Debug, thiserror::Error)]
pub enum EndSessionError {
    /// No session of this account has that id (another account's is not even admitted to).
    #[error("no such session")]
    NotFound,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<EndSessionError> for AppError {
    fn from(err: EndSessionError) -> Self {
        match err {
            EndSessionError::NotFound => AppError::NotFound,
            EndSessionError::Unexpected(e) => super::internal_error("ending a session", &e),
        }
    }
}

/// Ends session `id` of the caller's own account (this one included, which is logging out).
///
/// # Errors
/// `NotFound` unless the account has a session with that id.
pub async fn end(state: &AppState, user: &CurrentUser, id: &str) -> Result<(), EndSessionError> {
    // Session ids are UUIDs: anything else names no session, and never reaches the database
    // (PostgreSQL refuses a NUL in text outright).
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(EndSessionError::NotFound);
    }
    let mut tx = state.pool.begin().await.context("starting to end a session")?;
    if !sessions::delete(&mut *tx, &user.row.id, id).await.context("ending the session")? {
        return Err(EndSessionError::NotFound);
    }
    let kind = if id == user.session.id { SecurityEventKind::Logout } else { SecurityEventKind::SessionRevoked };
    security::record(&mut *tx, &user.row.id, kind, &user.device).await?;
    tx.commit().await.context("committing the end of a session")?;
    tracing::info!(user_id = %user.row.id, "session revoked");
    Ok(())
}

/// Ends every session of the account but this one; how many ended.
///
/// # Errors
/// On a database failure.
pub async fn end_others(state: &AppState, user: &CurrentUser) -> anyhow::Result<u64> {
    let mut tx = state.pool.begin().await.context("starting to end the other sessions")?;
    let ended = sessions::delete_all_but(&mut *tx, &user.row.id, Some(&user.session.id))
        .await
        .context("ending the other sessions")?;
    if ended > 0 {
        security::record(&mut *tx, &user.row.id, SecurityEventKind::SessionRevoked, &user.device).await?;
    }
    tx.commit().await.context("committing the end of the other sessions")?;
    tracing::info!(user_id = %user.row.id, ended, "other sessions revoked");
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_told_briefly() {
        let cases = [
            ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            ("curl/8.5.0", "curl"),
            ("", "unknown"),
            ("\u{0}\u{1}", "unknown"),
        ];
        for (header, expected) in cases {
            assert_eq!(Device::describe(header), expected, "{header:?}");
        }
        assert!(Device::describe(&"x".repeat(500)).len() <= 60);
    }
}
