//! The `users` row: its columns as the services see it, inserting an account (the unique keys decide
//! races) and finding one by id, login name or address.

use crate::{i18n::Locale, server::db::Pool};
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
    /// The receiving server's reply, while mail to the current address bounces (see
    /// `db::suppressions`).
    pub mail_undeliverable: Option<String>,
    pub mail_undeliverable_until: Option<i64>,
}

pub(in crate::server::db) const COLUMNS: &str = "id, username, email, password_hash, confirmed, session_version, created_at, last_seen, locale, email_version, mail_undeliverable, mail_undeliverable_until";

pub(in crate::server::db) fn from_row(row: &sqlx::any::AnyRow) -> Result<UserRow, sqlx::Error> {
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
        mail_undeliverable: row.try_get("mail_undeliverable")?,
        mail_undeliverable_until: row.try_get("mail_undeliverable_until")?,
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
pub(super) fn taken(e: sqlx::Error) -> InsertUserError {
    if crate::server::db::is_unique_violation(&e, "username_key") {
        InsertUserError::UsernameTaken
    } else if crate::server::db::is_unique_violation(&e, "email_key") {
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
