//! Statements on the `address_holds` table: one row per confirmed address change, at once the hold
//! on the address the account gave up and the state of the revert link mailed to it. The link
//! works while its row is there and unexpired; the address is held for the account as long.

/// Records the change that made the account's address version `version`: `email_key` (the
/// address given up) is held for `user_id`, and the revert link mailed to it lives, until `until`
/// (Unix seconds).
///
/// # Errors
/// On a database failure.
pub async fn hold<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    version: i64,
    email_key: &str,
    until: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO address_holds (user_id, version, email_key, until) VALUES ($1, $2, $3, $4)")
        .bind(user_id)
        .bind(version)
        .bind(email_key)
        .bind(until)
        .execute(executor)
        .await?;
    Ok(())
}

/// Whether `email_key` is held, at `now`, for an account other than `user_id`.
///
/// # Errors
/// On a database failure.
pub async fn held_for_another<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    email_key: &str,
    user_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT user_id FROM address_holds WHERE email_key = $1 AND user_id <> $2 AND until > $3 LIMIT 1",
    )
    .bind(email_key)
    .bind(user_id)
    .bind(now)
    .fetch_optional(executor)
    .await?;
    Ok(found.is_some())
}

/// Takes the revert of the change that made `user_id`'s address version `version` and gave up
/// `email_key`: deletes its row if it is there and unexpired at `now`; whether it was. One
/// statement, so of two uses of one link at once, exactly one gets it.
///
/// # Errors
/// On a database failure.
pub async fn take_for_revert<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    version: i64,
    email_key: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM address_holds WHERE user_id = $1 AND version = $2 AND email_key = $3 AND until > $4")
            .bind(user_id)
            .bind(version)
            .bind(email_key)
            .bind(now)
            .execute(executor)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends the holds and revert links of every change `user_id` made after version `version`.
///
/// # Errors
/// On a database failure.
pub async fn release_after<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    version: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM address_holds WHERE user_id = $1 AND version > $2")
        .bind(user_id)
        .bind(version)
        .execute(executor)
        .await?;
    Ok(done.rows_affected())
}

/// Forgets holds that ended before `now`; how many.
///
/// # Errors
/// On a database failure.
pub async fn delete_expired(pool: &super::Pool, now: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM address_holds WHERE until <= $1").bind(now).execute(pool).await?.rows_affected())
}
