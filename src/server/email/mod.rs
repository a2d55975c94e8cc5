//! Mail: templates, the outbox worker that delivers them, and the transports (SMTP, or the
//! development mailbox).

pub mod dev_mailbox;
pub mod templates;
pub mod transport;
pub mod worker;

pub use templates::{MailKind, RenderedMail};

use crate::server::{auth::tokens::now, db::outbox};
use serde::Serialize;

/// Renders a mail and queues it in the outbox, inside the caller's transaction (or on the pool).
/// Wake the worker once that transaction has committed.
///
/// # Errors
/// If rendering fails or the row can't be written.
pub async fn queue<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    kind: MailKind,
    user_id: Option<&str>,
    recipient: &str,
    context: impl Serialize,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let mail = templates::render(kind, context)?;
    let id = uuid::Uuid::new_v4().to_string();
    outbox::insert(
        executor,
        &outbox::NewMail {
            id: &id,
            kind: kind.name(),
            user_id,
            recipient,
            subject: &mail.subject,
            body_text: &mail.text,
            body_html: &mail.html,
            now: now(),
        },
    )
    .await
    .with_context(|| format!("queueing a {} mail", kind.name()))
}

/// Mails a person can ask for again and again (confirmation resends, reset links): at most one a
/// minute and five an hour per account, counted from the outbox itself, so the budget survives
/// restarts and holds across instances.
const MIN_GAP_SECS: i64 = 60;
const HOURLY_MAX: usize = 5;

/// How many seconds `user_id` must wait before another mail of `kind` (0: it may go now). Hold
/// `AppState::mail_gate` from this check until the mail is queued.
///
/// # Errors
/// When the outbox can't be read.
pub async fn wait_before_next(pool: &crate::server::db::Pool, user_id: &str, kind: MailKind) -> anyhow::Result<u64> {
    use anyhow::Context;
    let now = now();
    let recent = outbox::recent_for_user(pool, user_id, kind.name(), now - 3600)
        .await
        .with_context(|| format!("counting recent {} mails", kind.name()))?;
    Ok(wait_given(&recent, now))
}

/// The budget rule itself, over the send times of the last hour (oldest first).
fn wait_given(recent: &[i64], now: i64) -> u64 {
    let after_last = recent.last().map_or(0, |last| last + MIN_GAP_SECS - now);
    let hourly = if recent.len() >= HOURLY_MAX { recent[recent.len() - HOURLY_MAX] + 3600 - now } else { 0 };
    after_last.max(hourly).max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::wait_given;

    #[test]
    fn one_a_minute_and_five_an_hour() {
        let now = 10_000;
        assert_eq!(wait_given(&[], now), 0);
        assert_eq!(wait_given(&[now - 10], now), 50);
        assert_eq!(wait_given(&[now - 60], now), 0);
        let five = [now - 3000, now - 2000, now - 1000, now - 500, now - 100];
        assert_eq!(wait_given(&five, now), 600, "the oldest of the five leaves the hour in 600 s");
        assert_eq!(wait_given(&five[1..], now), 0);
    }
}
