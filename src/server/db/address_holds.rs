//! Statements on the `address_holds` table: addresses an account gave up, kept for it while the
//! revert link lives.

/// Holds `email_key` for `user_id` until `until` (Unix seconds), replacing any hold on it.
///
/// # Errors
/// On a database failure.
pub async fn hold<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    email_key: &str,
    user_id: &str,
    until: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO address_holds (email_key, user_id, until) VALUES ($1, $2, $3) \
         ON CONFLICT (email_key) DO UPDATE SET user_id = excluded.user_id, until = excluded.until",
    )
    .bind(email_key)
    .bind(user_id)
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
    let found: Option<String> =
        sqlx::query_scalar("SELECT user_id FROM address_holds WHERE email_key = $1 AND user_id <> $2 AND until > $3")
            .bind(email_key)
            .bind(user_id)
            .bind(now)
            .fetch_optional(executor)
            .await?;
    Ok(found.is_some())
}

/// Ends the hold on `email_key` (its account has it back, or a newer hold replaces it).
///
/// # Errors
/// On a database failure.
pub async fn release<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    email_key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM address_holds WHERE email_key = $1").bind(email_key).execute(executor).await?;
    Ok(())
}

/// Forgets holds that ended before `now`; how many.
///
/// # Errors
/// On a database failure.
pub async fn delete_expired(pool: &super::Pool, now: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM address_holds WHERE until <= $1").bind(now).execute(pool).await?.rows_affected())
}
