//! Statements on the `users` table.

use super::Pool;
use crate::i18n::Locale;
use sqlx::Row;

/// A row of `users`, as the services use it.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub confirmed: bool,
    pub session_version: i64,
    pub created_at: i64,
    pub last_seen: i64,
    /// The language the account's mail is written in.
    pub locale: Locale,
    /// How many times the address has changed: email-change and revert links name it.
    pub email_version: i64,
}

pub(super) const COLUMNS: &str =
    "id, username, email, password_hash, confirmed, session_version, created_at, last_seen, locale, email_version";

pub(super) fn from_row(row: &sqlx::any::AnyRow) -> Result<UserRow, sqlx::Error> {
    Ok(UserRow {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        confirmed: row.try_get::<i64, _>("confirmed")? != 0,
        session_version: row.try_get("session_version")?,
        created_at: row.try_get("created_at")?,
        last_seen: row.try_get("last_seen")?,
        // A tag this version doesn't speak (written by a newer one, or by hand) reads as English
        // rather than making the account unreadable.
        locale: Locale::from_tag(&row.try_get::<String, _>("locale")?).unwrap_or_default(),
        email_version: row.try_get("email_version")?,
    })
}

pub struct NewUser<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub username_key: &'a str,
    pub email: &'a str,
    pub email_key: &'a str,
    pub password_hash: &'a str,
    pub locale: Locale,
    pub now: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    #[error("username taken")]
    UsernameTaken,
    #[error("email taken")]
    EmailTaken,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Inserts an unconfirmed account. The unique keys decide races: of 100 concurrent registrations of
/// one name, exactly one insert succeeds.
///
/// # Errors
/// `UsernameTaken` / `EmailTaken` on a unique violation, `Database` otherwise.
pub async fn insert<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user: &NewUser<'_>,
) -> Result<(), InsertUserError> {
    sqlx::query(
        "INSERT INTO users (id, username, username_key, email, email_key, password_hash, confirmed, \
         session_version, created_at, last_seen, locale) VALUES ($1, $2, $3, $4, $5, $6, 0, 1, $7, $7, $8)",
    )
    .bind(user.id)
    .bind(user.username)
    .bind(user.username_key)
    .bind(user.email)
    .bind(user.email_key)
    .bind(user.password_hash)
    .bind(user.now)
    .bind(user.locale.tag())
    .execute(executor)
    .await
    .map_err(taken)?;
    Ok(())
}

/// Which unique key a failed write ran into, if any.
fn taken(e: sqlx::Error) -> InsertUserError {
    if super::is_unique_violation(&e, "username_key") {
        InsertUserError::UsernameTaken
    } else if super::is_unique_violation(&e, "email_key") {
        InsertUserError::EmailTaken
    } else {
        InsertUserError::Database(e)
    }
}

/// # Errors
/// On a database failure.
pub async fn find_by_id(pool: &Pool, id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(pool).await?.as_ref().map(from_row).transpose()
}

/// Looks an account up by its username key or its email key.
///
/// # Errors
/// On a database failure.
pub async fn find_by_login(pool: &Pool, key: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let column = if key.contains('@') { "email_key" } else { "username_key" };
    let sql = format!("SELECT {COLUMNS} FROM users WHERE {column} = $1");
    sqlx::query(&sql).bind(key).fetch_optional(pool).await?.as_ref().map(from_row).transpose()
}

/// How stale `last_seen` may get before a request updates it.
pub const LAST_SEEN_GRANULARITY_SECS: i64 = 60;

/// Records activity, at most once a minute per account: a write on every request (as the seed did)
/// would make every read a write.
///
/// # Errors
/// On a database failure.
pub async fn touch_last_seen(pool: &Pool, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET last_seen = $1 WHERE id = $2 AND last_seen < $3")
        .bind(now)
        .bind(id)
        .bind(now - LAST_SEEN_GRANULARITY_SECS)
        .execute(pool)
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

/// Whether a username key is taken.
///
/// # Errors
/// On a database failure.
pub async fn username_taken(pool: &Pool, username_key: &str) -> Result<bool, sqlx::Error> {
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE username_key = $1")
        .bind(username_key)
        .fetch_optional(pool)
        .await?;
    Ok(found.is_some())
}

/// Marks the account confirmed if it is still unconfirmed and still has `email`; returns the
/// updated row when it did, in the same statement (confirm is a hot path: no second read).
///
/// # Errors
/// On a database failure.
pub async fn confirm<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: &str,
    email: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    let sql =
        format!("UPDATE users SET confirmed = 1 WHERE id = $1 AND email = $2 AND confirmed = 0 RETURNING {COLUMNS}");
    sqlx::query(&sql).bind(id).bind(email).fetch_optional(executor).await?.as_ref().map(from_row).transpose()
}

/// Replaces the password hash, if it is still `old_hash`, and ends every session (a new session
/// version); returns whether it did. The compare-and-swap makes a reset link single-use even
/// when it is submitted twice at the same moment.
///
/// # Errors
/// On a database failure.
pub async fn change_password<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: &str,
    old_hash: &str,
    new_hash: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET password_hash = $1, session_version = session_version + 1 WHERE id = $2 AND password_hash = $3",
    )
    .bind(new_hash)
    .bind(id)
    .bind(old_hash)
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves the account to `email` if its address is still at version `email_version` and its
/// password is still `password_hash` (the one the link was made for), making the next version; the
/// updated row when it did. `None` when a change, a revert or a password change got there first.
///
/// # Errors
/// `EmailTaken` when another account has the address; `Database` otherwise.
pub async fn change_email<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: &str,
    email_version: i64,
    password_hash: &str,
    email: &str,
    email_key: &str,
) -> Result<Option<UserRow>, InsertUserError> {
    let sql = format!(
        "UPDATE users SET email = $1, email_key = $2, email_version = email_version + 1 \
         WHERE id = $3 AND email_version = $4 AND password_hash = $5 RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(email)
        .bind(email_key)
        .bind(id)
        .bind(email_version)
        .bind(password_hash)
        .fetch_optional(executor)
        .await
        .map_err(taken)?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The revert of an address change: back to `email`, with `password_hash` (a lock) replacing the
/// password, every session token dead (a new session version) and a new address version, so every
/// pending change link dies too. The caller has already taken the revert (`address_holds`); the
/// updated row, or `None` if the account is gone.
///
/// # Errors
/// `EmailTaken` when another account has the address; `Database` otherwise.
pub async fn revert_email<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: &str,
    email: &str,
    email_key: &str,
    password_hash: &str,
) -> Result<Option<UserRow>, InsertUserError> {
    let sql = format!(
        "UPDATE users SET email = $1, email_key = $2, email_version = email_version + 1, password_hash = $3, \
         session_version = session_version + 1 WHERE id = $4 RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(email)
        .bind(email_key)
        .bind(password_hash)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(taken)?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

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
