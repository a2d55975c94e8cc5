//! Logging in: a username-or-email and a password → a session and its token, within the limits on
//! failures and on password hashes, answering alike for unknown names and wrong passwords.

use crate::{
    domain::SecurityEventKind,
    error::AppError,
    i18n::Msg,
    server::{
        db::users,
        identity::Device,
        limits::{
            Allowance, LOGIN_HASHES_PER_NAME, LOGIN_PER_NAME, LOGIN_PER_NETWORK, Refused, password_hashes_per_network,
        },
        network::ClientNetwork,
        services::{new_device, security, session::start_session},
        state::AppState,
    },
};
use anyhow::Context;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown login or wrong password: one error, so the answer doesn't tell which.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failures, or password hashes, for this login name or from this network;
    /// `retry_after` in seconds, `message` says which.
    #[error("too many logins")]
    Throttled { retry_after: u64, message: Msg },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<LoginError> for AppError {
    fn from(err: LoginError) -> Self {
        match err {
            LoginError::InvalidCredentials => AppError::Unauthorized,
            LoginError::Throttled { retry_after, message } => AppError::TooManyRequests { message, retry_after },
            LoginError::Unexpected(e) => super::internal_error("login", &e),
        }
    }
}

/// Checks a username-or-email and password and returns a fresh session token.
///
/// `device` is the caller's address (for the limits per client network) and user agent; the new
/// session row remembers both, and a device new to the account mails it (`new_device::seen`).
///
/// # Errors
/// `InvalidCredentials` for an unknown login or a wrong password (same answer, same time);
/// `Throttled` after too many failures for the name or the network (even with the right
/// password, or the limit would be no limit), or too many hashes (right passwords too);
/// `Unexpected` for database or hashing failures.
pub async fn login(state: &AppState, device: &Device, login: &str, password: &str) -> Result<String, LoginError> {
    // Keys are lower-cased in the database: "Alice", "ALICE@Example.org" both find their account.
    let key = login.trim().to_lowercase();
    let network = ClientNetwork::of(device.ip);
    let hashes = password_hashes_per_network(state.settings.limits.password_hashes_per_ip);
    let limits = &state.limits;
    // Every attempt is counted before the password is checked, so concurrent guesses on any number
    // of servers can't outrun the limits; a success gives back its failure, never its hash. The
    // network comes first: a client spraying many names is stopped before each name gets a row.
    let spent = limits
        .spend_in_turn(&[
            (Allowance::Network(&LOGIN_PER_NETWORK, network), Msg::LoginThrottled),
            (Allowance::Network(&hashes, network), Msg::PasswordAttemptsThrottledNetwork),
            (Allowance::Subject(&LOGIN_PER_NAME, &key), Msg::LoginThrottled),
            (Allowance::Subject(&LOGIN_HASHES_PER_NAME, &key), Msg::PasswordAttemptsThrottled),
        ])
        .await?;
    if let Err((message, Refused { retry_after })) = spent {
        tracing::warn!("login refused: too many attempts for this name or network");
        return Err(LoginError::Throttled { retry_after, message });
    }
    // No name or address holds a control character: such a login finds nobody (and is not sent
    // to the database, where PostgreSQL would refuse a NUL), but costs the same dummy check.
    let user = if key.is_empty() || key.chars().any(char::is_control) {
        None
    } else {
        users::find_by_login(&state.pool, &key).await.context("looking up the login")?
    };
    let matches = state
        .hasher
        .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
        .await
        .context("verifying the password")?;
    let Some(user) = user else { return Err(LoginError::InvalidCredentials) };
    if !matches {
        record_failed_login(state, user.id, device.clone());
        return Err(LoginError::InvalidCredentials);
    }
    limits.clear(&LOGIN_PER_NAME, &key).await?;
    limits.give_back_network(&LOGIN_PER_NETWORK, network).await?;
    let token = start_session(state, &user, device).await?;
    new_device::seen(state, &user, device).await;
    tracing::info!(user_id = %user.id, "logged in");
    Ok(token)
}

/// Writes the failed login in the named account's log after the answer has gone, through the
/// batching writer: a write only for names that exist would make the answer to a known name
/// slower than to an unknown one.
fn record_failed_login(state: &AppState, user_id: String, device: Device) {
    let events = state.events.clone();
    state.background.spawn(async move {
        events.soon(security::event_row(&user_id, SecurityEventKind::LoginFailed, &device)).await
    });
}
