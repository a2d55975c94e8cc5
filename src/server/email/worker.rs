//! The outbox worker: claims due mails with a lease, sends them a few at a time, and reschedules
//! failures with capped exponential backoff and jitter until it gives up. It never blocks a
//! request: requests only write outbox rows and wake it.
//!
//! A lease covers the mail being sent, however long its batch or its send takes: right before a
//! mail is sent its lease is taken back from now (compare-and-swap on the claim's token, so a mail
//! another worker claimed meanwhile is left to it), and while the send is in flight the lease is
//! renewed every third of its length. A worker that can no longer be sure it holds a mail stops
//! sending it and records nothing. So the lease can be short (a killed server's mail waits only
//! that long) without two servers ever sending one mail at once.

use super::{
    fault::Fault,
    lease,
    suppression::{Reason, Suppressions},
    transport::{Transport, Undelivered, mask_address},
};
use crate::server::{
    clock::now,
    db::{
        Pool,
        outbox::{self, Outcome},
    },
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
    /// How long a claim lasts unless renewed; a claim by a crashed process is free again after it.
    /// A mail being sent is renewed every third of this.
    pub lease: Duration,
    /// The longest one send may take (the transport's: an SMTP timeout for each relay it may try,
    /// so the lease covers a mail's try on the primary and then on the fallback): a live worker
    /// renews a mail's lease at most this long, and a send still running then is given up as an
    /// attempt that failed.
    pub send_timeout: Duration,
    /// How often to look for due mails when nothing wakes the worker.
    pub poll: Duration,
    /// The addresses not to send to.
    pub suppressions: Suppressions,
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
    let mails = outbox::claim(pool, &lease_token, now(), lease::secs(config.lease), BATCH).await?;
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
    // Checked when the mail goes, not when it was queued: a bounce may have come in between.
    match config.suppressions.stops(pool, &mail.recipient, mail.requested).await {
        Ok(None) => {}
        Ok(Some(why)) => {
            tracing::info!(mail_id = %mail.id, kind = %mail.kind, to = %to, "mail not attempted: {why}");
            metrics::mail_attempt(&mail.kind, "suppressed");
            record(
                outbox::mark_undelivered(pool, &mail.id, lease_token, now(), Outcome::Suppressed, &why).await,
                &mail.id,
            );
            return;
        }
        Err(e) => {
            // The mail waits for its lease to run out and is tried again: late, never to a
            // suppressed address.
            tracing::warn!(mail_id = %mail.id, error = %e, "could not read the suppression list; the mail goes later");
            return;
        }
    }
    // The mail may have waited out its lease behind the others of its batch, and another worker may
    // have claimed it since: send it only if the claim is still this one's, held from now.
    let held_until = match lease::hold(pool, config.lease, &mail.id, lease_token).await {
        Ok(Some(held_until)) => held_until,
        Ok(None) => {
            tracing::debug!(mail_id = %mail.id, "another worker claimed the mail while it waited; leaving it to that one");
            return;
        }
        Err(e) => {
            tracing::warn!(mail_id = %mail.id, error = %e, "could not renew a mail's lease before sending it; it goes once the lease runs out");
            return;
        }
    };
    // A backstop for transports without a timeout of their own, a moment after the SMTP pools'.
    let deadline = config.send_timeout + Duration::from_secs(1);
    let result = tokio::select! {
        sent = tokio::time::timeout(deadline, transport.send(&mail)) => {
            sent.unwrap_or_else(|_| Err(Undelivered {
                fault: Fault::Temporary,
                reason: format!("the send did not finish within {deadline:?}"),
            }))
        }
        lost = lease::keep_held(pool, config.lease, &mail.id, lease_token, held_until) => {
            // Dropping the send ends its SMTP conversation: if the message was not complete, the
            // server discards it. If it was, the mail goes twice (at least once, never lost).
            tracing::warn!(mail_id = %mail.id, kind = %mail.kind, to = %to, reason = lost.describe(),
                "stopped sending a mail whose lease this worker could no longer renew; it goes again from the queue");
            return;
        }
    };
    let now = now();
    let recorded = match &result {
        Ok(carrier) => {
            let relay = carrier.map_or("none", |c| c.name());
            tracing::info!(mail_id = %mail.id, kind = %mail.kind, to = %to, attempt = mail.attempts, %relay, "mail sent");
            metrics::mail_attempt(&mail.kind, "sent");
            outbox::mark_sent(pool, &mail.id, lease_token, now).await
        }
        Err(Undelivered { fault: Fault::Mailbox, reason }) => {
            tracing::warn!(mail_id = %mail.id, kind = %mail.kind, to = %to, %reason,
                "mail bounced: the mailbox doesn't exist; the address is suppressed");
            metrics::mail_attempt(&mail.kind, "bounced");
            if let Err(e) = config.suppressions.add(pool, &mail.recipient, Reason::Bounce, reason).await {
                tracing::warn!(mail_id = %mail.id, error = %e, "could not suppress a bounced address");
            }
            outbox::mark_undelivered(pool, &mail.id, lease_token, now, Outcome::Bounced, reason).await
        }
        Err(Undelivered { fault: Fault::Refused, reason }) => {
            // Not the address's fault: our relay, our IP's reputation or our message. An operator
            // has to act, and no retry would help until they do.
            tracing::error!(mail_id = %mail.id, kind = %mail.kind, to = %to, %reason,
                "a mail server REFUSED our mail for a reason of ours (policy, blocklist, relaying); not retried");
            metrics::mail_attempt(&mail.kind, "failed_policy");
            outbox::mark_undelivered(pool, &mail.id, lease_token, now, Outcome::Failed, reason).await
        }
        Err(Undelivered { reason, .. }) if mail.attempts >= config.max_attempts => {
            tracing::error!(mail_id = %mail.id, kind = %mail.kind, to = %to, attempts = mail.attempts, %reason,
                "GIVING UP on a mail after the last attempt; the person will have to ask for it again");
            metrics::mail_attempt(&mail.kind, "failed");
            outbox::mark_undelivered(pool, &mail.id, lease_token, now, Outcome::Failed, reason).await
        }
        Err(Undelivered { reason, .. }) => {
            let wait = backoff(mail.attempts, config.backoff_cap);
            tracing::warn!(mail_id = %mail.id, kind = %mail.kind, to = %to, attempt = mail.attempts,
                retry_in_secs = wait.as_secs(), %reason, "mail not delivered; will retry");
            metrics::mail_attempt(&mail.kind, "retry");
            outbox::reschedule(pool, &mail.id, lease_token, now + wait.as_secs() as i64, reason).await
        }
    };
    record(recorded, &mail.id);
}

/// Logs what recording a mail's outcome came to, when it is not the usual.
fn record(recorded: Result<bool, sqlx::Error>, mail_id: &str) {
    match recorded {
        Ok(true) => {}
        // Only after renewals failed for a whole lease: the new holder records it (and may send it
        // again).
        Ok(false) => {
            tracing::warn!(%mail_id, "the mail's lease had passed to another worker; its outcome is left to that one")
        }
        // The lease runs out and the mail is claimed again: at worst a duplicate, never a loss.
        Err(e) => tracing::warn!(%mail_id, error = %e, "could not record the outcome of a mail"),
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
