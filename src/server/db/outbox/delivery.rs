//! The worker's side: claiming due mail with a lease, holding a claim while a mail is sent, and
//! recording how each attempt went (only by the claim that still holds the mail).

use crate::server::db::Pool;
use sqlx::Row;

/// A claimed mail, as the worker sends it.
#[derive(Debug, Clone)]
pub struct OutboxMail {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i64,
    /// The person asked for it just now (see `email::suppression::Reason::Complaint`).
    pub requested: bool,
}

/// Claims up to `limit` due mails for `lease_secs` under `lease_token`, and returns them.
///
/// The free-and-due condition is repeated outside the sub-select so that, on PostgreSQL, a second
/// worker racing for the same rows re-checks it after the first one's update and skips them.
///
/// # Errors
/// On a database failure.
pub async fn claim(
    pool: &Pool,
    lease_token: &str,
    now: i64,
    lease_secs: i64,
    limit: i64,
) -> Result<Vec<OutboxMail>, sqlx::Error> {
    const FREE_AND_DUE: &str = "sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3 \
                                AND (leased_until IS NULL OR leased_until < $3)";
    let claim = format!(
        "UPDATE outbox SET lease_token = $1, leased_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox WHERE {FREE_AND_DUE} ORDER BY next_attempt_at LIMIT $4) \
         AND {FREE_AND_DUE}"
    );
    sqlx::query(&claim).bind(lease_token).bind(now + lease_secs).bind(now).bind(limit).execute(pool).await?;
    let rows = sqlx::query(
        "SELECT id, kind, recipient, subject, body_text, body_html, attempts, requested FROM outbox \
         WHERE lease_token = $1 AND sent_at IS NULL AND failed_at IS NULL",
    )
    .bind(lease_token)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(OutboxMail {
                id: row.try_get("id")?,
                kind: row.try_get("kind")?,
                recipient: row.try_get("recipient")?,
                subject: row.try_get("subject")?,
                body_text: row.try_get("body_text")?,
                body_html: row.try_get("body_html")?,
                attempts: row.try_get("attempts")?,
                requested: row.try_get::<i64, _>("requested")? != 0,
            })
        })
        .collect()
}

/// Holds a claimed mail until `leased_until`, if the claim under `lease_token` is still its own:
/// whether it is. Compare-and-swap on the token: a claim by another worker replaces the token, so
/// once that has happened this changes nothing and answers `false`, and once this has happened the
/// other worker's claim finds the lease running and skips the mail. The worker calls it right
/// before sending a mail (it may have waited out its lease behind others of its batch) and again
/// while the send is in flight.
///
/// # Errors
/// On a database failure.
pub async fn hold(pool: &Pool, id: &str, lease_token: &str, leased_until: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET leased_until = $1 \
         WHERE id = $2 AND lease_token = $3 AND sent_at IS NULL AND failed_at IS NULL",
    )
    .bind(leased_until)
    .bind(id)
    .bind(lease_token)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a mail sent and blanks its body: it holds a live link, and the recipient has it now.
/// Whether the claim under `lease_token` still held it (if not, its new holder records it).
///
/// # Errors
/// On a database failure.
pub async fn mark_sent(pool: &Pool, id: &str, lease_token: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET sent_at = $1, body_text = '', body_html = '', lease_token = NULL, \
         leased_until = NULL, last_error = NULL WHERE id = $2 AND lease_token = $3",
    )
    .bind(now)
    .bind(id)
    .bind(lease_token)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Releases a mail for another attempt at `next_attempt_at`. Whether the claim under
/// `lease_token` still held it.
///
/// # Errors
/// On a database failure.
pub async fn reschedule(
    pool: &Pool,
    id: &str,
    lease_token: &str,
    next_attempt_at: i64,
    error: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1, last_error = $2, lease_token = NULL, leased_until = NULL \
         WHERE id = $3 AND lease_token = $4",
    )
    .bind(next_attempt_at)
    .bind(error)
    .bind(id)
    .bind(lease_token)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How a mail that will not be delivered ended (`outbox.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Given up after the last attempt, or refused for a reason of ours.
    Failed,
    /// The mailbox doesn't exist.
    Bounced,
    /// Not attempted: the address is suppressed.
    Suppressed,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Self::Failed => "failed",
            Self::Bounced => "bounced",
            Self::Suppressed => "suppressed",
        }
    }
}

/// Ends a mail that will not be delivered, with why. Its body stays, so an operator can requeue
/// it (`madblog outbox retry`): it never reached anyone. Whether the claim under `lease_token`
/// still held it.
///
/// # Errors
/// On a database failure.
pub async fn mark_undelivered(
    pool: &Pool,
    id: &str,
    lease_token: &str,
    now: i64,
    outcome: Outcome,
    error: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET failed_at = $1, outcome = $2, last_error = $3, lease_token = NULL, leased_until = NULL \
         WHERE id = $4 AND lease_token = $5",
    )
    .bind(now)
    .bind(outcome.name())
    .bind(error)
    .bind(id)
    .bind(lease_token)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Hands back the mails of a claim that were never tried (a clean stop): free at once for any
/// server, with the claim's attempt undone. Returns how many.
///
/// # Errors
/// On a database failure.
pub async fn release(pool: &Pool, lease_token: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET lease_token = NULL, leased_until = NULL, attempts = attempts - 1 \
         WHERE lease_token = $1 AND sent_at IS NULL AND failed_at IS NULL",
    )
    .bind(lease_token)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Where the mail `id` went, while the outbox still has it.
///
/// # Errors
/// On a database failure.
pub async fn recipient_of(pool: &Pool, id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT recipient FROM outbox WHERE id = $1").bind(id).fetch_optional(pool).await
}

/// Records what a report said about a mail after the fact: the receiving server accepted it from
/// our relay, then failed to deliver it. It keeps its `sent_at` (it did leave), gains the outcome,
/// and counts as finished if it was still pending.
///
/// # Errors
/// On a database failure.
pub async fn mark_late(pool: &Pool, id: &str, outcome: Outcome, reason: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbox SET outcome = $1, last_error = $2, \
         failed_at = CASE WHEN sent_at IS NULL THEN COALESCE(failed_at, $3) ELSE failed_at END, \
         lease_token = CASE WHEN sent_at IS NULL THEN NULL ELSE lease_token END WHERE id = $4",
    )
    .bind(outcome.name())
    .bind(reason)
    .bind(crate::server::clock::now())
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}
