//! The account's own view of its sessions: list them, end one, end all but this one, log out
//! here or everywhere.

use crate::{
    domain::{DeviceSession, SecurityEventKind},
    error::AppError,
    server::{
        clock::rfc3339,
        db::{sessions, users},
        identity::CurrentUser,
        services::security,
        state::AppState,
    },
};
use anyhow::Context;

/// What can go wrong ending or listing sessions: only the unexpected (the database).
#[derive(Debug, thiserror::Error)]
pub enum SessionsError {
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<SessionsError> for AppError {
    fn from(err: SessionsError) -> Self {
        match err {
            SessionsError::Unexpected(e) => super::internal_error("the account's sessions", &e),
        }
    }
}

/// Logs out the session the request was made with: its token is refused from now on.
///
/// # Errors
/// On a database failure.
pub async fn log_out(state: &AppState, user: &CurrentUser) -> Result<(), SessionsError> {
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
pub async fn list(state: &AppState, user: &CurrentUser) -> Result<Vec<DeviceSession>, SessionsError> {
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
pub async fn end_others(state: &AppState, user: &CurrentUser) -> Result<u64, SessionsError> {
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

/// Ends every session of the account, this one included.
///
/// # Errors
/// On a database failure.
pub async fn log_out_everywhere(state: &AppState, user: &CurrentUser) -> Result<(), SessionsError> {
    let mut tx = state.pool.begin().await.context("starting to end every session")?;
    users::bump_session_version(&mut *tx, &user.row.id).await.context("ending every session")?;
    sessions::delete_all_but(&mut *tx, &user.row.id, None).await.context("deleting every session")?;
    security::record(&mut *tx, &user.row.id, SecurityEventKind::LogoutEverywhere, &user.device).await?;
    tx.commit().await.context("committing the end of every session")?;
    tracing::info!(user_id = %user.row.id, "logged out of every device");
    Ok(())
}
