//! The operators' side: the queue's state for `/metrics`, listing and requeueing mail
//! (`madblog outbox`), and forgetting old sent mail.

use crate::server::db::Pool;
use sqlx::Row;

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
    /// `failed`, `bounced` or `suppressed` once it will not be delivered (see `Outcome`).
    pub outcome: Option<String>,
    pub last_error: Option<String>,
}

/// Every pending and failed mail, oldest first, then the `recent` last sent ones.
///
/// # Errors
/// On a database failure.
pub async fn list(pool: &Pool, recent: i64) -> Result<Vec<Listed>, sqlx::Error> {
    const COLUMNS: &str = "id, kind, recipient, created_at, attempts, next_attempt_at, leased_until, sent_at, failed_at, outcome, \
         last_error";
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
                outcome: row.try_get("outcome")?,
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
        "UPDATE outbox SET failed_at = NULL, outcome = NULL, attempts = 0, next_attempt_at = $1 \
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
