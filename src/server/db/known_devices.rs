//! Statements on the `known_devices` table: the devices (keyed hashes of account, short user agent
//! and network block) each account has signed in from, and when each was last mailed about.

/// Marks the device seen at `now` if the account has used it since `since`; whether it had (the
/// usual sign-in, one statement).
///
/// # Errors
/// On a database failure.
pub async fn refresh<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    device_key: &str,
    now: i64,
    since: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE known_devices SET last_seen = $1 WHERE user_id = $2 AND device_key = $3 AND last_seen >= $4",
    )
    .bind(now)
    .bind(user_id)
    .bind(device_key)
    .bind(since)
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Remembers the device as seen at `now`, without a mail, if the account has no other device
/// remembered (its first sign-in); whether it did. One statement; two first sign-ins at once from
/// the same device are both the first (neither mails about the other), from two devices one is.
///
/// # Errors
/// On a database failure.
pub async fn remember_first<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    device_key: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO known_devices (user_id, device_key, first_seen, last_seen) SELECT $1, $2, $3, $3 \
         WHERE NOT EXISTS (SELECT 1 FROM known_devices WHERE user_id = $1 AND device_key <> $2) \
         ON CONFLICT (user_id, device_key) DO UPDATE SET last_seen = excluded.last_seen",
    )
    .bind(user_id)
    .bind(device_key)
    .bind(now)
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Remembers the device as seen and mailed about at `now`, unless a mail about it was claimed
/// after `mailed_since`; whether this caller got the mail. One statement, so of two sign-ins at
/// once from a new device exactly one mails.
///
/// # Errors
/// On a database failure.
pub async fn claim_mail<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    device_key: &str,
    now: i64,
    mailed_since: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO known_devices (user_id, device_key, first_seen, last_seen, last_mailed) VALUES ($1, $2, $3, $3, $3) \
         ON CONFLICT (user_id, device_key) DO UPDATE SET last_seen = excluded.last_seen, \
         last_mailed = excluded.last_mailed \
         WHERE known_devices.last_mailed IS NULL OR known_devices.last_mailed < $4",
    )
    .bind(user_id)
    .bind(device_key)
    .bind(now)
    .bind(mailed_since)
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets the account's devices unseen since `before`; how many went.
///
/// # Errors
/// On a database failure.
pub async fn forget_unseen<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    before: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM known_devices WHERE user_id = $1 AND last_seen < $2")
        .bind(user_id)
        .bind(before)
        .execute(executor)
        .await?;
    Ok(done.rows_affected())
}

/// Forgets every device of the account; how many went.
///
/// # Errors
/// On a database failure.
pub async fn forget_all<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM known_devices WHERE user_id = $1").bind(user_id).execute(executor).await?;
    Ok(done.rows_affected())
}
