//! The security log's batching writer: events of the hot paths (a confirmation, a failed login)
//! queued and written many to a statement, next to the table's own statements
//! (`db::security_events`).

use super::{
    Pool,
    security_events::{self, EventRow},
};

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

    /// Queues one event (see `services::security::event_row`).
    pub async fn soon(&self, event: EventRow) {
        let kind = event.kind.clone();
        if self.queue.send(event).await.is_err() {
            tracing::warn!(%kind, "the security log's writer has stopped: an event was not recorded");
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
