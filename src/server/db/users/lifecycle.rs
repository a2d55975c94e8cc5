//! Accounts coming and going: reminding and purging unconfirmed ones, and deleting one.

use super::row::{COLUMNS, UserRow, from_row};
use crate::server::db::Pool;

/// Unconfirmed accounts made at or before `before` that have had no reminder, oldest first, at most
/// `limit`.
///
/// # Errors
/// On a database failure.
pub async fn unreminded_unconfirmed(pool: &Pool, before: i64, limit: i64) -> Result<Vec<UserRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE confirmed = 0 AND created_at <= $1 AND reminded_at IS NULL \
         ORDER BY created_at LIMIT $2"
    );
    sqlx::query(&sql).bind(before).bind(limit).fetch_all(pool).await?.iter().map(from_row).collect()
}

/// Claims the reminder of an unconfirmed account; whether this caller got it (on several servers
/// at once, one does).
///
/// # Errors
/// On a database failure.
pub async fn claim_reminder<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET reminded_at = $1 WHERE id = $2 AND confirmed = 0 AND reminded_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(executor)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes up to `limit` of the accounts still unconfirmed that were made before `before`, oldest
/// first (with everything that refers to them); their ids. An account confirmed a moment before is
/// not one of them: the condition is repeated outside the sub-select, so the statement reads
/// `confirmed` as it deletes (on PostgreSQL, a row another transaction changed is checked again),
/// and two servers deleting at once skip each other's rows.
///
/// # Errors
/// On a database failure.
pub async fn delete_unconfirmed_before<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    before: i64,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "DELETE FROM users WHERE confirmed = 0 AND created_at < $1 AND id IN \
         (SELECT id FROM users WHERE confirmed = 0 AND created_at < $1 ORDER BY created_at LIMIT $2) RETURNING id",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(executor)
    .await
}

/// Deletes the account (its sessions, codes, holds and security events go with it); whether it
/// was there.
///
/// # Errors
/// On a database failure.
pub async fn delete<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(executor).await?.rows_affected() == 1)
}
