//! Mail: templates, the outbox worker that delivers them, and the transports (SMTP, or the
//! development mailbox).

pub mod breaker;
pub mod connection;
pub mod dkim;
pub mod fault;
pub mod feedback;
pub mod lease;
pub mod message;
pub mod relays;
pub mod reports;
pub mod return_path;
pub mod smtp;
pub mod suppression;
pub mod templates;
pub mod transport;
pub mod worker;

pub use templates::{MailKind, RenderedMail};

use crate::{
    i18n::Locale,
    server::{
        clock::now,
        db::{outbox, users},
    },
};
use serde::Serialize;

/// Renders a mail in `locale` and queues it in the outbox, inside the caller's transaction (or on
/// the pool). Wake the worker once that transaction has committed.
///
/// `locale` is the recipient account's language, never the language of the request that caused
/// the mail: that request may come from someone else's browser (a reset asked for elsewhere).
///
/// # Errors
/// If rendering fails or the row can't be written.
pub async fn queue<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    kind: MailKind,
    locale: Locale,
    user_id: Option<&str>,
    recipient: &str,
    context: impl Serialize,
) -> anyhow::Result<()> {
    queue_as(executor, kind, locale, user_id, recipient, context, false).await
}

/// As [`queue`], for a mail the person asked for just now (a reset link, a resent confirmation,
/// the link to a new address): it goes even to an address suppressed for a complaint, since a
/// complaint was about mail they didn't want, and this one they do.
///
/// # Errors
/// As [`queue`].
pub async fn queue_requested<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    kind: MailKind,
    locale: Locale,
    user_id: Option<&str>,
    recipient: &str,
    context: impl Serialize,
) -> anyhow::Result<()> {
    queue_as(executor, kind, locale, user_id, recipient, context, true).await
}

async fn queue_as<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    kind: MailKind,
    locale: Locale,
    user_id: Option<&str>,
    recipient: &str,
    context: impl Serialize,
    requested: bool,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let mail = templates::render(kind, locale, context)?;
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
            requested,
        },
    )
    .await
    .with_context(|| format!("queueing a {} mail", kind.name()))
}

/// How often one account may get mails of one kind, counted from the outbox itself, so the budget
/// survives restarts and every server sees the same count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Mails a person can ask for again and again (confirmation resends, reset links): at most one
    /// a minute and five an hour.
    OnRequest,
    /// A notice nobody asked for ("someone tried to register with your address"): one an hour.
    Notice,
}

const MIN_GAP_SECS: i64 = 60;
const HOURLY_MAX: usize = 5;

impl Budget {
    /// Seconds to wait before the next mail (0: it may go now), given the send times of the last
    /// hour, oldest first.
    fn wait_given(self, recent: &[i64], now: i64) -> u64 {
        let wait = match self {
            Budget::OnRequest => {
                let after_last = recent.last().map_or(0, |last| last + MIN_GAP_SECS - now);
                let hourly =
                    if recent.len() >= HOURLY_MAX { recent[recent.len() - HOURLY_MAX] + 3600 - now } else { 0 };
                after_last.max(hourly)
            }
            Budget::Notice => recent.first().map_or(0, |first| first + 3600 - now),
        };
        wait.max(0) as u64
    }
}

/// What [`queue_within_budget`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budgeted {
    Queued,
    /// The budget is spent: nothing was queued; the next mail may go in `retry_after` seconds.
    Spent {
        retry_after: u64,
    },
}

/// Seconds before the account may get another mail of `kind` under `budget` (0: now). Locks the
/// account's row first, so the transaction that goes on to queue the mail is the only one
/// counting: for callers that write more than the mail (a code) when it may go.
///
/// # Errors
/// When the account can't be locked or the outbox read.
pub async fn budget_wait(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    budget: Budget,
    kind: MailKind,
    user_id: &str,
) -> anyhow::Result<u64> {
    use anyhow::Context;
    users::lock(&mut **tx, user_id).await.context("locking the account for its mail budget")?;
    let now = now();
    let recent = outbox::recent_for_user(&mut **tx, user_id, kind.name(), now - 3600)
        .await
        .with_context(|| format!("counting recent {} mails", kind.name()))?;
    Ok(budget.wait_given(&recent, now))
}

/// Queues a mail of `kind`, in `locale` (the account's language), to the account unless its
/// budget is spent. Wake the worker after `Queued`.
///
/// The count and the insert run in one transaction that first locks the account's row, so two
/// requests for the same account, on one server or on several, can't both see "none sent yet".
///
/// # Errors
/// When the outbox can't be read or written, or the mail can't be rendered.
pub async fn queue_within_budget(
    pool: &crate::server::db::Pool,
    budget: Budget,
    kind: MailKind,
    locale: Locale,
    user_id: &str,
    recipient: &str,
    context: impl Serialize,
) -> anyhow::Result<Budgeted> {
    use anyhow::Context;
    let mut tx = pool.begin().await.context("starting a mail budget check")?;
    let wait = budget_wait(&mut tx, budget, kind, user_id).await?;
    if wait > 0 {
        tx.rollback().await.context("ending a mail budget check")?;
        return Ok(Budgeted::Spent { retry_after: wait });
    }
    queue(&mut *tx, kind, locale, Some(user_id), recipient, context).await?;
    tx.commit().await.with_context(|| format!("committing a {} mail", kind.name()))?;
    Ok(Budgeted::Queued)
}

#[cfg(test)]
mod tests {
    use super::Budget;

    #[test]
    fn on_request_one_a_minute_and_five_an_hour() {
        let wait_given = |recent: &[i64], now| Budget::OnRequest.wait_given(recent, now);
        let now = 10_000;
        assert_eq!(wait_given(&[], now), 0);
        assert_eq!(wait_given(&[now - 10], now), 50);
        assert_eq!(wait_given(&[now - 60], now), 0);
        let five = [now - 3000, now - 2000, now - 1000, now - 500, now - 100];
        assert_eq!(wait_given(&five, now), 600, "the oldest of the five leaves the hour in 600 s");
        assert_eq!(wait_given(&five[1..], now), 0);
    }

    #[test]
    fn notices_one_an_hour() {
        let now = 10_000;
        assert_eq!(Budget::Notice.wait_given(&[], now), 0);
        assert_eq!(Budget::Notice.wait_given(&[now - 600], now), 3000);
        assert_eq!(Budget::Notice.wait_given(&[now - 3600], now), 0);
    }
}
