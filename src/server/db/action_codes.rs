//! Statements on the `action_codes` table: the hashed codes that confirmation and reset mails
//! carry, and the tries spent on them.

/// Stores the account's live code for `purpose`, replacing the one before it (and its tries).
///
/// # Errors
/// On a database failure.
pub async fn upsert<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    purpose: &str,
    code_hash: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO action_codes (user_id, purpose, code_hash, tries, expires_at) VALUES ($1, $2, $3, 0, $4) \
         ON CONFLICT (user_id, purpose) DO UPDATE SET code_hash = excluded.code_hash, tries = 0, \
         expires_at = excluded.expires_at",
    )
    .bind(user_id)
    .bind(purpose)
    .bind(code_hash)
    .bind(expires_at)
    .execute(executor)
    .await?;
    Ok(())
}

/// Takes one try at the account's live code for `purpose`, if it has one with tries left at
/// `now`: its hash and the tries taken so far, this one included. One statement, so concurrent
/// guesses take tries one at a time and no more than `max_tries` ever get a hash to compare.
///
/// # Errors
/// On a database failure.
pub async fn take_try(
    pool: &super::Pool,
    user_id: &str,
    purpose: &str,
    max_tries: i64,
    now: i64,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    use sqlx::Row;
    let row = sqlx::query(
        "UPDATE action_codes SET tries = tries + 1 \
         WHERE user_id = $1 AND purpose = $2 AND tries < $3 AND expires_at > $4 RETURNING code_hash, tries",
    )
    .bind(user_id)
    .bind(purpose)
    .bind(max_tries)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    row.map(|r| Ok((r.try_get("code_hash")?, r.try_get("tries")?))).transpose()
}

/// Ends the account's code for `purpose` (used, or its link was).
///
/// # Errors
/// On a database failure.
pub async fn delete<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    purpose: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM action_codes WHERE user_id = $1 AND purpose = $2")
        .bind(user_id)
        .bind(purpose)
        .execute(executor)
        .await?;
    Ok(())
}

/// Forgets codes that expired before `now`; how many.
///
/// # Errors
/// On a database failure.
pub async fn delete_expired(pool: &super::Pool, now: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM action_codes WHERE expires_at <= $1").bind(now).execute(pool).await?.rows_affected())
}
