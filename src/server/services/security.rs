//! The security log: what happened to an account's security, recorded where it happens (in the
//! same transaction when there is one, or through the [`EventWriter`] on hot paths), and the
//! account's own view of it.
//!
//! Append-only except for one fold: failed logins, the events a stranger can cause at will, are
//! one row per account, network and clock hour, whose count and last time grow, so that a flood of
//! them can't push the rest of the log out of view.

use crate::{
    domain::{SecurityEvent, SecurityEventKind},
    server::{
        auth::tokens::now,
        db::{
            Pool,
            security_events::{self, EventRow},
        },
        network::ClientNetwork,
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
/// throttled per name and folded per network and hour, so one network adds at most 24 rows a day.
const MOST: i64 = 1000;

fn event_row(user_id: &str, kind: SecurityEventKind, device: &Device) -> EventRow {
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

/// Writes events a moment after they happen, many in one statement: group commit for the hot
/// paths (a confirmation, a failed login), where a row of its own per request would cost each
/// request a second write. Under load one insert carries every event that arrived while the one
/// before ran. The price: a crash (not a clean stop, which drains the queue) loses the events not
/// yet written, a few milliseconds' worth; what they record is in the database already.
#[derive(Clone)]
pub struct EventWriter {
    queue: tokio::sync::mpsc::Sender<EventRow>,
}

/// Events queued at most before `EventWriter::soon` waits for the writer (back-pressure).
const QUEUE: usize = 4096;
/// Events in one insert at most: 6 parameters each, well inside SQLite's and PostgreSQL's limits.
const BATCH: usize = 256;

impl EventWriter {
    /// Starts the writer; it drains the queue and ends once `stop` fires.
    pub fn spawn(pool: Pool, stop: tokio_util::sync::CancellationToken) -> (Self, tokio::task::JoinHandle<()>) {
        let (queue, mut events) = tokio::sync::mpsc::channel::<EventRow>(QUEUE);
        let task = tokio::spawn(async move {
            loop {
                let first = tokio::select! {
                    () = stop.cancelled() => break,
                    next = events.recv() => match next {
                        Some(event) => event,
                        None => return,
                    },
                };
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match events.try_recv() {
                        Ok(event) => batch.push(event),
                        Err(_) => break,
                    }
                }
                write(&pool, &batch).await;
            }
            events.close();
            let mut rest = Vec::new();
            while let Ok(event) = events.try_recv() {
                rest.push(event);
            }
            for batch in rest.chunks(BATCH) {
                write(&pool, batch).await;
            }
        });
        (Self { queue }, task)
    }

    /// Queues one event for `user_id`, caused by a request from `device`.
    pub async fn soon(&self, user_id: &str, kind: SecurityEventKind, device: &Device) {
        if self.queue.send(event_row(user_id, kind, device)).await.is_err() {
            tracing::warn!(kind = kind.name(), "the security log's writer has stopped: an event was not recorded");
        }
    }
}

/// Writes a batch, trying again a few times while the database is busy; if it still refuses the
/// batch, writes its events one by one, so that whatever it refuses loses only itself.
async fn write(pool: &Pool, batch: &[EventRow]) {
    for attempt in 1..=5u64 {
        match security_events::insert_many(pool, batch).await {
            Ok(()) => return,
            Err(e) if attempt < 5 => {
                tracing::warn!(error = %e, events = batch.len(), attempt, "could not write security events; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, events = batch.len(), "the database refused a batch of security events; writing them one by one")
            }
        }
    }
    for event in batch {
        if let Err(e) = security_events::insert_many(pool, std::slice::from_ref(event)).await {
            tracing::error!(error = %e, kind = %event.kind, "a security event was lost: the database refused it");
        }
    }
}
