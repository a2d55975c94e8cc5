//! The security log: what happened to an account's security, recorded where it happens (in the
//! same transaction when there is one, or through the batching writer `db::event_writer` on hot
//! paths), and the account's own view of it.
//!
//! Append-only except for one fold: failed logins, the events a stranger can cause at will, are
//! one row per account, network and clock hour, whose count and last time grow, so that a flood of
//! them can't push the rest of the log out of view.

use crate::{
    domain::{SecurityEvent, SecurityEventKind},
    server::{
        clock::{now, rfc3339},
        db::{
            Pool,
            security_events::{self, EventRow},
        },
        identity::{CurrentUser, Device},
        network::ClientNetwork,
        state::AppState,
    },
};
use anyhow::Context;

/// How far back the log goes, for its owner and in the database.
pub const RETENTION_DAYS: i64 = 90;

/// The most rows one answer carries. Failed logins, the only events a stranger can cause, are
/// throttled per name and folded per network and hour, so one network adds at most 24 rows a day.
const MOST: i64 = 1000;

/// The row for one event of `kind` for `user_id`, caused by a request from `device`: what
/// [`record`] writes, and what the batching writer (`state.events`) takes on hot paths.
pub fn event_row(user_id: &str, kind: SecurityEventKind, device: &Device) -> EventRow {
    let at = now();
    let (ip, fold) = match kind {
        // Per network, as the limits count clients: an IPv6 client can rotate through its /64.
        SecurityEventKind::LoginFailed => {
            let network = ClientNetwork::of(device.ip).to_string();
            let fold = format!("{} {network} {}", kind.name(), at / 3600);
            (network, Some(fold))
        }
        _ => (device.ip.to_string(), None),
    };
    EventRow {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.to_owned(),
        kind: kind.name().to_owned(),
        at,
        ip,
        user_agent: device.user_agent.clone(),
        count: 1,
        last_at: at,
        fold,
    }
}

/// Appends one event for `user_id`, caused by a request from `device`.
///
/// # Errors
/// On a database failure.
pub async fn record<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    kind: SecurityEventKind,
    device: &Device,
) -> anyhow::Result<()> {
    let row = event_row(user_id, kind, device);
    security_events::insert(executor, &row).await.with_context(|| format!("recording a {} event", kind.name()))
}

/// What can go wrong reading the log: only the unexpected (the database).
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<LogError> for crate::error::AppError {
    fn from(err: LogError) -> Self {
        match err {
            LogError::Unexpected(e) => super::internal_error("reading the security log", &e),
        }
    }
}

/// The caller's events of the last [`RETENTION_DAYS`], newest first.
///
/// # Errors
/// On a database failure.
pub async fn recent(state: &AppState, user: &CurrentUser) -> Result<Vec<SecurityEvent>, LogError> {
    let since = now() - RETENTION_DAYS * 86_400;
    let rows = security_events::list_since(&state.pool, &user.row.id, since, MOST)
        .await
        .context("reading the security log")?;
    Ok(rows
        .into_iter()
        // A kind written by a newer version is left out rather than shown wrong.
        .filter_map(|row| {
            Some(SecurityEvent {
                kind: SecurityEventKind::from_name(&row.kind)?,
                at: rfc3339(row.at),
                ip: row.ip,
                user_agent: row.user_agent,
                count: row.count,
                last_at: rfc3339(row.last_at),
            })
        })
        .collect())
}

/// Forgets events older than [`RETENTION_DAYS`]; how many went. Run by the housekeeping job.
///
/// # Errors
/// On a database failure.
pub async fn prune(pool: &Pool) -> anyhow::Result<u64> {
    security_events::delete_before(pool, now() - RETENTION_DAYS * 86_400).await.context("pruning the security log")
}
