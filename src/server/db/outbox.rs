//! Statements on the `outbox` table.

use super::Pool;
use sqlx::Row;

/// A mail to queue.
pub struct NewMail<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub user_id: Option<&'a str>,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub now: i64,
}

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
}

/// Queues a mail, due now. Meant to run in the transaction of the change that causes it.
///
/// # Errors
/// On a database failure.
pub async fn insert<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    mail: &NewMail<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox (id, kind, user_id, recipient, subject, body_text, body_html, created_at, attempts, \
         next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $8)",
    )
    .bind(mail.id)
    .bind(mail.kind)
    .bind(mail.user_id)
    .bind(mail.recipient)
    .bind(mail.subject)
    .bind(mail.body_text)
    .bind(mail.body_html)
    .bind(mail.now)
    .execute(executor)
    .await?;
    Ok(())
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
        "SELECT id, kind, recipient, subject, body_text, body_html, attempts FROM outbox \
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

/// Gives up on a mail. Its body stays, so an operator can requeue it (`madblog outbox retry`):
/// it never reached anyone. Whether the claim under `lease_token` still held it.
///
/// # Errors
/// On a database failure.
pub async fn mark_failed(pool: &Pool, id: &str, lease_token: &str, now: i64, error: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET failed_at = $1, last_error = $2, lease_token = NULL, leased_until = NULL \
         WHERE id = $3 AND lease_token = $4",
    )
    .bind(now)
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

/// The state of the queue, for operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Not sent and not given up.
    pub pending: i64,
    /// When the oldest pending mail was queued (Unix seconds).
    pub oldest_pending: Option<i64>,
    /// Given up after the last attempt.
    pub failed: i64,
}

/// Counts the queue in one statement.
///
/// # Errors
/// On a database failure.
pub async fn stats(pool: &Pool) -> Result<Stats, sqlx::Error> {
    let row = sqlx::query(
        "SELECT \
           COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS pending, \
           MIN(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN created_at END) AS oldest, \
           COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed \
         FROM outbox WHERE sent_at IS NULL",
    )
    .fetch_one(pool)
    .await?;
    Ok(Stats {
        pending: row.try_get("pending")?,
        oldest_pending: row.try_get("oldest")?,
        failed: row.try_get("failed")?,
    })
}

/// A mail as an operator sees it (no body).
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub leased_until: Option<i64>,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
}

/// Every pending and failed mail, oldest first, then the `recent` last sent ones.
///
/// # Errors
/// On a database failure.
pub async fn list(pool: &Pool, recent: i64) -> Result<Vec<Listed>, sqlx::Error> {
    const COLUMNS: &str =
        "id, kind, recipient, created_at, attempts, next_attempt_at, leased_until, sent_at, failed_at, last_error";
    let unsent = format!("SELECT {COLUMNS} FROM outbox WHERE sent_at IS NULL ORDER BY created_at");
    let sent = format!("SELECT {COLUMNS} FROM outbox WHERE sent_at IS NOT NULL ORDER BY sent_at DESC LIMIT $1");
    let mut rows = sqlx::query(&unsent).fetch_all(pool).await?;
    rows.extend(sqlx::query(&sent).bind(recent).fetch_all(pool).await?);
    rows.iter()
        .map(|row| {
            Ok(Listed {
                id: row.try_get("id")?,
                kind: row.try_get("kind")?,
                recipient: row.try_get("recipient")?,
                created_at: row.try_get("created_at")?,
                attempts: row.try_get("attempts")?,
                next_attempt_at: row.try_get("next_attempt_at")?,
                leased_until: row.try_get("leased_until")?,
                sent_at: row.try_get("sent_at")?,
                failed_at: row.try_get("failed_at")?,
                last_error: row.try_get("last_error")?,
            })
        })
        .collect()
}

/// Requeues given-up mails, due now with a fresh count of attempts: the one with `id`, or every
/// one when `id` is `None`. Returns how many.
///
/// # Errors
/// On a database failure.
pub async fn requeue_failed(pool: &Pool, id: Option<&str>, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET failed_at = NULL, attempts = 0, next_attempt_at = $1 \
         WHERE failed_at IS NOT NULL AND sent_at IS NULL AND ($2 IS NULL OR id = $2)",
    )
    .bind(now)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes mails sent before `before`, `PURGE_BATCH` at a time. Returns how many.
///
/// # Errors
/// On a database failure; the batches before it stay deleted.
pub async fn purge_sent(pool: &Pool, before: i64) -> Result<u64, sqlx::Error> {
    // Each batch its own statement: months of sent mail (the first run after an upgrade) deleted
    // by one statement would hold SQLite's write lock for as long as that takes.
    const PURGE_BATCH: u64 = 500;
    let mut purged = 0;
    loop {
        let done = sqlx::query(
            "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $1 AND id IN \
             (SELECT id FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $1 LIMIT $2)",
        )
        .bind(before)
        .bind(PURGE_BATCH as i64)
        .execute(pool)
        .await?
        .rows_affected();
        purged += done;
        if done < PURGE_BATCH {
            return Ok(purged);
        }
    }
}

/// When the account got mails of `kind` since `since` (oldest first), for per-account throttles.
///
/// # Errors
/// On a database failure.
pub async fn recent_for_user<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    kind: &str,
    since: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT created_at FROM outbox WHERE user_id = $1 AND kind = $2 AND created_at > $3 ORDER BY created_at",
    )
    .bind(user_id)
    .bind(kind)
    .bind(since)
    .fetch_all(executor)
    .await
}

/// Forgets every mail about the account (sent ones keep recipients and subjects): for an account
/// being deleted. How many.
///
/// # Errors
/// On a database failure.
pub async fn delete_for_user<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM outbox WHERE user_id = $1").bind(user_id).execute(executor).await?.rows_affected())
}
