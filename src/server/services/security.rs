//! The security log: what happened to an account's security, recorded where it happens (in the
//! same transaction when there is one), and the account's own view of it.

use crate::{
    domain::{SecurityEvent, SecurityEventKind},
    server::{
        auth::tokens::now,
        db::{
            Pool,
            security_events::{self, EventRow},
        },
        services::{
            devices::Device,
            session::{CurrentUser, rfc3339},
        },
        state::AppState,
    },
};
use anyhow::Context;

/// How far back the log goes, for its owner and in the database.
pub const RETENTION_DAYS: i64 = 90;

/// The most rows one answer carries. Failed logins, the only events a stranger can cause, are
/// throttled per name, so an account's 90 days stay well under this.
const MOST: i64 = 1000;

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
    let row = EventRow {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.to_owned(),
        kind: kind.name().to_owned(),
        at: now(),
        ip: device.ip.to_string(),
        user_agent: device.user_agent.clone(),
    };
    security_events::insert(executor, &row).await.with_context(|| format!("recording a {} event", kind.name()))
}

/// The caller's events of the last [`RETENTION_DAYS`], newest first.
///
/// # Errors
/// On a database failure.
pub async fn recent(state: &AppState, user: &CurrentUser) -> anyhow::Result<Vec<SecurityEvent>> {
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
