//! What proves the account: confirming its address, and the compare-and-swap changes of its
//! password and its address (and the revert of an address change).

use super::row::{COLUMNS, InsertUserError, UserRow, from_row, taken};

/// Marks the account confirmed if it is still unconfirmed and still has `email` at
/// `email_version`; returns the updated row when it did, in the same statement (confirm is a hot
/// path: no second read).
///
/// # Errors
/// On a database failure.
pub async fn confirm<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: &str,
    email: &str,
    email_version: i64,
) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!(
        "UPDATE users SET confirmed = 1 WHERE id = $1 AND email = $2 AND email_version = $3 AND confirmed = 0 \
         RETURNING {COLUMNS}"
    );
    let query = sqlx::query(&sql).bind(id).bind(email).bind(email_version);
    query.fetch_optional(executor).await?.as_ref().map(from_row).transpose()
}

/// Confirms an unconfirmed account by a sign-in by email, for the address (and version) the flow's
/// code was bound to, dropping its password (`marker`, a lock: see `auth::password::lock_marker`)
/// and ending every session (a new session version); the updated row when it did.
///
/// # Errors
/// On a database failure.
pub async fn confirm_by_email<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: &str,
    email: &str,
    email_version: i64,
    marker: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!(
        "UPDATE users SET confirmed = 1, password_hash = $4, session_version = session_version + 1 \
         WHERE id = $1 AND email = $2 AND email_version = $3 AND confirmed = 0 RETURNING {COLUMNS}"
    );
    let query = sqlx::query(&sql).bind(id).bind(email).bind(email_version).bind(marker);
    query.fetch_optional(executor).await?.as_ref().map(from_row).transpose()
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

/// A move of the account to `email`, made only if its address is still at version
/// `email_version` and its password still `password_hash` (the one the link or the request was
/// checked with).
pub struct AddressMove<'a> {
    pub id: &'a str,
    pub email_version: i64,
    pub password_hash: &'a str,
    pub email: &'a str,
    pub email_key: &'a str,
}

/// Moves a confirmed account to the address its change link proved, making the next address
/// version; the updated row when it did. `None` when a change, a revert or a password change got
/// there first.
///
/// # Errors
/// `EmailTaken` when another account has the address; `Database` otherwise.
pub async fn change_email<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    to: &AddressMove<'_>,
) -> Result<Option<UserRow>, InsertUserError> {
    move_address(executor, to, "").await
}

/// Corrects the address of an account that is still unconfirmed: at once, since the old address
/// was never proven, with a new address version, so every link mailed before dies. The updated
/// row, or `None` when the account was confirmed or changed meanwhile.
///
/// # Errors
/// `EmailTaken` when another account has the address; `Database` otherwise.
pub async fn correct_unconfirmed_email<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    to: &AddressMove<'_>,
) -> Result<Option<UserRow>, InsertUserError> {
    move_address(executor, to, " AND confirmed = 0").await
}

async fn move_address<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    to: &AddressMove<'_>,
    only: &str,
) -> Result<Option<UserRow>, InsertUserError> {
    let sql = format!(
        "UPDATE users SET email = $1, email_key = $2, email_version = email_version + 1, \
         mail_undeliverable = NULL, mail_undeliverable_until = NULL \
         WHERE id = $3 AND email_version = $4 AND password_hash = $5{only} RETURNING {COLUMNS}"
    );
    let query = sqlx::query(&sql).bind(to.email).bind(to.email_key).bind(to.id).bind(to.email_version);
    let row = query.bind(to.password_hash).fetch_optional(executor).await.map_err(taken)?;
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
         mail_undeliverable = NULL, mail_undeliverable_until = NULL, \
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
