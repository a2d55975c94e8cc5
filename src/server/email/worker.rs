//! The outbox worker: claims due mails with a lease, sends them a few at a time, and reschedules
//! failures with capped exponential backoff and jitter until it gives up. It never blocks a
//! request: requests only write outbox rows and wake it.

use super::transport::{Transport, mask_address};
use crate::server::{
    auth::tokens::now,
    db::{Pool, outbox},
    metrics,
};
use futures::StreamExt;
use rand::Rng;
use std::{sync::Arc, time::Duration};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Attempts before a mail is given up (and logged as an error).
    pub max_attempts: i64,
    /// The longest wait between two attempts: once SMTP is back, mail flows again within this.
    pub backoff_cap: Duration,
    /// How long a claim lasts; a claim by a crashed process is free again after it.
    pub lease: Duration,
    /// How often to look for due mails when nothing wakes the worker.
    pub poll: Duration,
}

/// Wakes the worker when a mail is queued, so it goes out at once instead of at the next poll.
#[derive(Clone, Default)]
pub struct Wakeup(Arc<Notify>);

impl Wakeup {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

const BATCH: i64 = 32;
const IN_FLIGHT: usize = 8;

/// Runs the worker until `stop` fires; then it finishes the mails it is sending, hands back the
/// ones it claimed but hasn't started, and returns.
pub fn spawn(
    pool: Pool,
    transport: Arc<Transport>,
    config: WorkerConfig,
    wakeup: Wakeup,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let instance = instance_id();
        tracing::info!(transport = %transport.describe(), %instance, "mail worker started");
        while !stop.is_cancelled() {
            match deliver_due(&pool, &transport, &config, &instance, &stop).await {
                // A full batch: there may be more waiting.
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = format!("{e:#}"), "mail worker could not read the outbox; retrying"),
            }
            tokio::select! {
                () = stop.cancelled() => {}
                () = wakeup.0.notified() => {}
                () = tokio::time::sleep(config.poll) => {}
            }
        }
        tracing::info!("mail worker stopped");
    })
}

/// Names this process in its lease tokens (`host:pid/<uuid>`), so an operator looking at the
/// outbox can tell which server holds a mail.
fn instance_id() -> String {
    let host = hostname::get().map(|h| h.to_string_lossy().into_owned()).unwrap_or_else(|_| "unknown".into());
    format!("{host}:{}", std::process::id())
}

/// Claims one batch of due mails and delivers it; returns how many were claimed. Once `stop`
/// fires no further mail of the batch is started; the untried ones are released.
///
/// # Errors
/// When the outbox can't be read (the mails stay queued).
async fn deliver_due(
    pool: &Pool,
    transport: &Transport,
    config: &WorkerConfig,
    instance: &str,
    stop: &CancellationToken,
) -> anyhow::Result<usize> {
    let lease_token = format!("{instance}/{}", uuid::Uuid::new_v4());
    let lease = config.lease.as_secs().max(1) as i64;
    let mails = outbox::claim(pool, &lease_token, now(), lease, BATCH).await?;
    let claimed = mails.len();
    futures::stream::iter(mails)
        .take_until(stop.cancelled())
        .for_each_concurrent(IN_FLIGHT, |mail| {
            let lease_token = lease_token.clone();
            async move { deliver_one(pool, transport, config, &lease_token, mail).await }
        })
        .await;
    if stop.is_cancelled() && claimed > 0 {
        // Without this, the next server would wait out the lease before sending them.
        match outbox::release(pool, &lease_token).await {
            Ok(n) => tracing::info!(released = n, "stopping: handed back claimed mails not yet tried"),
            Err(e) => {
                tracing::warn!(error = %e, "stopping: could not hand back claimed mails; they go once their lease runs out")
            }
        }
    }
    Ok(claimed)
}

async fn deliver_one(
    pool: &Pool,
    transport: &Transport,
    config: &WorkerConfig,
    lease_token: &str,
    mail: outbox::OutboxMail,
) {
    let to = mask_address(&mail.recipient);
    let result = transport.send(&mail).await;
    let now = now();
    let recorded = match &result {
        Ok(()) => {
            tracing::info!(mail_id = %mail.id, kind = %mail.kind, to = %to, attempt = mail.attempts, "mail sent");
            metrics::mail_attempt(&mail.kind, "sent");
            outbox::mark_sent(pool, &mail.id, lease_token, now).await
        }
        Err(error) if mail.attempts >= config.max_attempts => {
            tracing::error!(mail_id = %mail.id, kind = %mail.kind, to = %to, attempts = mail.attempts, %error,
                "GIVING UP on a mail after the last attempt; the person will have to ask for it again");
            metrics::mail_attempt(&mail.kind, "failed");
            outbox::mark_failed(pool, &mail.id, lease_token, now, error).await
        }
        Err(error) => {
            let wait = backoff(mail.attempts, config.backoff_cap);
            tracing::warn!(mail_id = %mail.id, kind = %mail.kind, to = %to, attempt = mail.attempts,
                retry_in_secs = wait.as_secs(), %error, "mail not delivered; will retry");
            metrics::mail_attempt(&mail.kind, "retry");
            outbox::reschedule(pool, &mail.id, lease_token, now + wait.as_secs() as i64, error).await
        }
    };
    if let Err(e) = recorded {
        // The lease runs out and the mail is claimed again: at worst a duplicate, never a loss.
        tracing::warn!(mail_id = %mail.id, error = %e, "could not record the outcome of a mail");
    }
}

/// Exponential (2 s, 4 s, 8 s, …) up to `cap`, with "equal jitter" (half fixed, half random), so
/// mails that failed together don't all retry at the same instant.
pub fn backoff(attempts: i64, cap: Duration) -> Duration {
    let exp = attempts.clamp(1, 30) as u32 - 1;
    let full = Duration::from_secs(2u64.saturating_mul(1u64 << exp.min(20))).min(cap);
    let half = full / 2;
    let jitter = rand::thread_rng().gen_range(0..=half.as_millis() as u64);
    (half + Duration::from_millis(jitter)).max(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let cap = Duration::from_secs(300);
        for _ in 0..100 {
            let first = backoff(1, cap);
            assert!(first >= Duration::from_secs(1) && first <= Duration::from_secs(2));
            let fifth = backoff(5, cap);
            assert!(fifth >= Duration::from_secs(16) && fifth <= Duration::from_secs(32));
            let late = backoff(25, cap);
            assert!(late >= Duration::from_secs(150) && late <= cap);
        }
    }
}
