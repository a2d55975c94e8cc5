//! The `suppressions` table: addresses (as keyed hashes) that mail must not go to, why, and until
//! when; and the flag it sets on the accounts that have such an address.

use super::Pool;
use sqlx::Row;

/// One suppressed address, as operators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub hint: String,
    /// `bounce` or `complaint`.
    pub reason: String,
    pub reply: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Suppresses the address with `address_key` until `expires_at`; a later report replaces an
/// earlier one's reason and reply, but a complaint never softens a bounce. Accounts whose address
/// this is (`email_key`) learn of a bounce. One transaction, so the list and the flag agree.
///
/// # Errors
/// On a database failure.
#[allow(clippy::too_many_arguments)]
pub async fn add(
    pool: &Pool,
    address_key: &str,
    email_key: &str,
    hint: &str,
    reason: &str,
    reply: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO suppressions (address_key, hint, reason, reply, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (address_key) DO UPDATE SET \
           reason = CASE WHEN suppressions.reason = 'bounce' AND suppressions.expires_at > $5 \
                         THEN 'bounce' ELSE excluded.reason END, \
           reply = excluded.reply, created_at = excluded.created_at, expires_at = excluded.expires_at",
    )
    .bind(address_key)
    .bind(hint)
    .bind(reason)
    .bind(reply)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    if reason == "bounce" {
        sqlx::query("UPDATE users SET mail_undeliverable = $1, mail_undeliverable_until = $2 WHERE email_key = $3")
            .bind(reply)
            .bind(expires_at)
            .bind(email_key)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// The live suppression of the address with `address_key`, if any: `(reason, reply)`.
///
/// # Errors
/// On a database failure.
pub async fn find(pool: &Pool, address_key: &str, now: i64) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query("SELECT reason, reply FROM suppressions WHERE address_key = $1 AND expires_at > $2")
        .bind(address_key)
        .bind(now)
        .fetch_optional(pool)
        .await?;
    row.map(|row| Ok((row.try_get("reason")?, row.try_get("reply")?))).transpose()
}

/// Lifts the suppression of the address with `address_key` (whether there was one), and the
/// flag of the accounts with that address.
///
/// # Errors
/// On a database failure.
pub async fn remove(pool: &Pool, address_key: &str, email_key: &str) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let done =
        sqlx::query("DELETE FROM suppressions WHERE address_key = $1").bind(address_key).execute(&mut *tx).await?;
    sqlx::query("UPDATE users SET mail_undeliverable = NULL, mail_undeliverable_until = NULL WHERE email_key = $1")
        .bind(email_key)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// Every live suppression, newest first.
///
/// # Errors
/// On a database failure.
pub async fn list(pool: &Pool, now: i64) -> Result<Vec<Suppression>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT hint, reason, reply, created_at, expires_at FROM suppressions WHERE expires_at > $1 \
         ORDER BY created_at DESC",
    )
    .bind(now)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Suppression {
                hint: row.try_get("hint")?,
                reason: row.try_get("reason")?,
                reply: row.try_get("reply")?,
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .collect()
}

/// Forgets expired suppressions, and the flag of accounts whose address was one of them
/// (housekeeping). Returns how many went.
///
/// # Errors
/// On a database failure.
pub async fn purge_expired(pool: &Pool, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM suppressions WHERE expires_at <= $1").bind(now).execute(pool).await?;
    sqlx::query(
        "UPDATE users SET mail_undeliverable = NULL, mail_undeliverable_until = NULL \
         WHERE mail_undeliverable_until <= $1",
    )
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
