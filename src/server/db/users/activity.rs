//! What using an account changes: when it was last seen, its session version, its language, and
//! the row lock that serialises a check and the write that depends on it.

use crate::{i18n::Locale, server::db::Pool};
use sqlx::Row;

/// How stale `last_seen` may get before a request updates it.
pub const LAST_SEEN_GRANULARITY_SECS: i64 = 60;

/// Records activity, at most once a minute per account: a write on every request (as the seed did)
/// would make every read a write.
///
/// # Errors
/// On a database failure.
pub async fn touch_last_seen<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET last_seen = $1 WHERE id = $2 AND last_seen < $3")
        .bind(now)
        .bind(id)
        .bind(now - LAST_SEEN_GRANULARITY_SECS)
        .execute(executor)
        .await?;
    Ok(())
}

/// Invalidates every session token of the account; returns the new version.
///
/// # Errors
/// On a database failure, or if the account doesn't exist.
pub async fn bump_session_version<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query("UPDATE users SET session_version = session_version + 1 WHERE id = $1 RETURNING session_version")
        .bind(id)
        .fetch_one(executor)
        .await?
        .try_get(0)
}

/// Sets the language the account's mail is written in.
///
/// # Errors
/// On a database failure.
pub async fn set_locale(pool: &Pool, id: &str, locale: Locale) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET locale = $1 WHERE id = $2").bind(locale.tag()).bind(id).execute(pool).await?;
    Ok(())
}

/// Locks the account's row until the caller's transaction ends, to serialise a check and the write
/// that depends on it across every server. SQLite has no `SELECT … FOR UPDATE`; a write that
/// changes nothing takes the row lock on PostgreSQL and the write lock on SQLite alike.
///
/// # Errors
/// On a database failure.
pub async fn lock<'e>(executor: impl sqlx::Executor<'e, Database = sqlx::Any>, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET session_version = session_version WHERE id = $1").bind(id).execute(executor).await?;
    Ok(())
}
