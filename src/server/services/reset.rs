//! Forgotten passwords: the reset request (a mail with a link and a code), and resetting with the
//! link or with the code. No answer here says whether an address has an account.

use crate::{
    domain::{Code, EmailAddress, Password},
    error::AppError,
    i18n::Msg,
    server::{
        auth::tokens::{Purpose, ResetClaims},
        clock::now,
        db::users::{self, UserRow},
        email::{self, Budget, MailKind},
        identity::Device,
        limits::{self, Refused},
        network::ClientNetwork,
        services::{
            codes::{self, Checked, CodePurpose},
            password::{self, PasswordEvent},
        },
        state::AppState,
    },
};
use anyhow::Context;
use serde_json::json;
use std::net::IpAddr;

#[derive(Debug, thiserror::Error)]
pub enum RequestResetError {
    #[error("invalid email address")]
    InvalidEmail(Msg),
    #[error("too many reset requests from this network")]
    Throttled { retry_after: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// Expired, forged, of another purpose, already used, or made before a password change.
    #[error("invalid reset link")]
    InvalidLink,
    #[error("weak password")]
    WeakPassword(Msg),
    /// The network's password hashes are spent.
    #[error("too many password hashes from this network")]
    Throttled { retry_after: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<RequestResetError> for AppError {
    fn from(err: RequestResetError) -> Self {
        match err {
            RequestResetError::InvalidEmail(message) => AppError::field("email", message),
            RequestResetError::Throttled { retry_after } => {
                AppError::TooManyRequests { message: Msg::ResetThrottled, retry_after }
            }
            RequestResetError::Unexpected(e) => super::internal_error("password reset request", &e),
        }
    }
}

impl From<ResetError> for AppError {
    fn from(err: ResetError) -> Self {
        match err {
            ResetError::InvalidLink => AppError::BadRequest(Msg::ResetLinkInvalid),
            ResetError::WeakPassword(message) => AppError::BadRequest(message),
            ResetError::Throttled { retry_after } => {
                AppError::TooManyRequests { message: Msg::ResetThrottled, retry_after }
            }
            ResetError::Unexpected(e) => super::internal_error("password reset", &e),
        }
    }
}

/// Accepts a reset request. The answer never depends on whether the address has an account: the
/// lookup and the mail happen after the answer, in a task of their own, so even the time taken
/// can't tell. Only a malformed address (400) or a flood from one client network (429) is refused.
///
/// # Errors
/// `InvalidEmail`, `Throttled`; `Unexpected` when the limit can't be checked.
pub async fn request_reset(state: &AppState, client: IpAddr, raw_email: &str) -> Result<(), RequestResetError> {
    let email = EmailAddress::parse(raw_email).map_err(|e| RequestResetError::InvalidEmail(e.msg()))?;
    let limit = limits::reset_requests_per_network(state.settings.limits.reset_requests_per_ip);
    if let Err(Refused { retry_after }) = state.limits.spend_network(&limit, ClientNetwork::of(client)).await? {
        return Err(RequestResetError::Throttled { retry_after });
    }
    let state = state.clone();
    // Tracked, so a clean stop waits for it: the answer already promised the mail.
    state.background.clone().spawn(async move {
        if let Err(e) = queue_reset_mail(&state, &email).await {
            super::log_unexpected("queueing a reset mail", &e);
        }
    });
    Ok(())
}

async fn queue_reset_mail(state: &AppState, email: &EmailAddress) -> anyhow::Result<()> {
    let Some(user) = users::find_by_login(&state.pool, &email.key()).await.context("looking up the address")? else {
        tracing::info!("password reset requested for an address without an account");
        return Ok(());
    };
    // The budget, the code and the mail in one transaction: a request over the budget must not
    // replace the code of the mail before it.
    let mut tx = state.pool.begin().await.context("starting a reset mail")?;
    if email::budget_wait(&mut tx, Budget::OnRequest, MailKind::ResetPassword, &user.id).await? > 0 {
        // Skipped silently, since a different answer would tell a prober the address has an account.
        tracing::info!(user_id = %user.id, "password reset requested again too soon: no mail (the answer is the same)");
        return Ok(());
    }
    let context = reset_mail_context(&mut *tx, state, &user).await?;
    // In the account's language, whatever the language of the browser that asked.
    email::queue_requested(&mut *tx, MailKind::ResetPassword, user.locale, Some(&user.id), &user.email, context)
        .await?;
    tx.commit().await.context("committing a reset mail")?;
    state.mail.wake();
    tracing::info!(user_id = %user.id, "password reset mail queued");
    Ok(())
}

/// What a reset mail says: a link for the account's current password and address, and a fresh
/// code for the same (stored through `executor`: the transaction that queues the mail).
///
/// # Errors
/// When the code can't be stored.
pub async fn reset_mail_context<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    state: &AppState,
    user: &UserRow,
) -> anyhow::Result<serde_json::Value> {
    let now = now();
    let ttl = state.settings.links.reset_ttl.as_secs();
    let claims = ResetClaims {
        sub: user.id.clone(),
        email: user.email.clone(),
        pwd: state.tokens.password_fingerprint(&user.password_hash),
        typ: Purpose::Reset.typ().to_owned(),
        iat: now,
        exp: now + ttl as i64,
    };
    let token = state.tokens.sign(Purpose::Reset, &claims);
    let code = codes::issue(executor, state, &user.id, &user.email, CodePurpose::Reset, ttl as i64).await?;
    Ok(json!({
        "username": user.username,
        // From APP_URL only, token in the fragment: see `confirmation::link`.
        "link": format!("{}/reset-password#token={token}", state.settings.app_url),
        "code": code,
        "valid_for": ttl,
    }))
}

/// Sets a new password with an emailed reset link. Every session ends; the owner gets a mail; the
/// link (and every other one made before) dies with the old password. No automatic login.
///
/// # Errors
/// `InvalidLink` for any token that isn't a live reset token for the account's current password;
/// `WeakPassword` with the policy's message; `Throttled` when the network's password hashes are
/// spent (the link still works later).
pub async fn reset(state: &AppState, device: &Device, token: &str, raw_password: String) -> Result<(), ResetError> {
    let claims: ResetClaims = state.tokens.verify(Purpose::Reset, token).map_err(|_| ResetError::InvalidLink)?;
    let password = Password::parse(raw_password).map_err(|e| ResetError::WeakPassword(e.msg()))?;
    let user = users::find_by_id(&state.pool, &claims.sub)
        .await
        .context("loading the account")?
        .ok_or(ResetError::InvalidLink)?;
    // A link mailed to an address the account no longer has is dead: after a revert, the thief's
    // link (mailed to the address they had set) must not set a password.
    if state.tokens.password_fingerprint(&user.password_hash) != claims.pwd || claims.email != user.email {
        return Err(ResetError::InvalidLink);
    }
    if let Err(Refused { retry_after }) = spend_hash(state, device).await? {
        return Err(ResetError::Throttled { retry_after });
    }
    if !finish_reset(state, device, &user, &password).await? {
        // Another request with this link (or a change) got there first.
        return Err(ResetError::InvalidLink);
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum ResetCodeError {
    #[error("invalid field")]
    Invalid(&'static str, Msg),
    /// Wrong, expired, used, out of tries, or for an address without an account: one answer.
    #[error("invalid reset code")]
    InvalidCode,
    /// Too many codes from this network, or its password hashes are spent; `message` says which.
    #[error("too many codes or hashes from this network")]
    Throttled { retry_after: u64, message: Msg },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<ResetCodeError> for AppError {
    fn from(err: ResetCodeError) -> Self {
        match err {
            ResetCodeError::Invalid(field, message) => AppError::field(field, message),
            ResetCodeError::InvalidCode => AppError::field("code", Msg::ResetCodeInvalid),
            ResetCodeError::Throttled { retry_after, message } => AppError::TooManyRequests { message, retry_after },
            ResetCodeError::Unexpected(e) => super::internal_error("password reset by code", &e),
        }
    }
}

/// Sets a new password with the code from a reset mail, typed with the account's address, on any
/// device. Like the link: every session ends, the owner gets a mail, the link dies, no login.
///
/// The answer never tells an address without an account from a wrong code: both are the same
/// `InvalidCode`, after the same statement (see `codes::check`).
///
/// # Errors
/// `Invalid` for a malformed address, code or weak password (no try spent); `InvalidCode`;
/// `Throttled` after too many codes from one client network, or when its password hashes are
/// spent (a right code stays good for a later try while it lives).
pub async fn reset_with_code(
    state: &AppState,
    device: &Device,
    raw_email: &str,
    typed_code: &str,
    raw_password: String,
) -> Result<(), ResetCodeError> {
    let email = EmailAddress::parse(raw_email).map_err(|e| ResetCodeError::Invalid("email", e.msg()))?;
    let code = Code::parse(typed_code).map_err(|m| ResetCodeError::Invalid("code", m))?;
    let password = Password::parse(raw_password).map_err(|e| ResetCodeError::Invalid("password", e.msg()))?;
    // Each account's code takes five tries; this stops one client trying five on every account.
    let limit = limits::reset_codes_per_network(state.settings.limits.reset_requests_per_ip);
    if let Err(Refused { retry_after }) = state.limits.spend_network(&limit, ClientNetwork::of(device.ip)).await? {
        return Err(ResetCodeError::Throttled { retry_after, message: Msg::CodeThrottled });
    }
    let user = users::find_by_login(&state.pool, &email.key()).await.context("looking up the address")?;
    let (user_id, address) = user.as_ref().map_or(("", ""), |u| (u.id.as_str(), u.email.as_str()));
    if codes::check(state, user_id, address, CodePurpose::Reset, &code).await? != Checked::Right {
        return Err(ResetCodeError::InvalidCode);
    }
    let user = user.ok_or(ResetCodeError::InvalidCode)?;
    // Only a right code costs a hash, so only a right code spends one: a wrong code and an unknown
    // address keep answering alike.
    if let Err(Refused { retry_after }) = spend_hash(state, device).await? {
        return Err(ResetCodeError::Throttled { retry_after, message: Msg::ResetThrottled });
    }
    if !finish_reset(state, device, &user, &password).await? {
        return Err(ResetCodeError::InvalidCode);
    }
    Ok(())
}

/// Spends one of the network's password hashes (`limits::password_hashes_per_network`) for the
/// reset's new password, before it is hashed; never given back.
async fn spend_hash(state: &AppState, device: &Device) -> anyhow::Result<Result<(), Refused>> {
    let hashes = limits::password_hashes_per_network(state.settings.limits.password_hashes_per_ip);
    state.limits.spend_network(&hashes, ClientNetwork::of(device.ip)).await
}

/// Replaces the password of `user` (if it is still the one loaded) after a reset, by link or by
/// code; whether it did.
async fn finish_reset(state: &AppState, device: &Device, user: &UserRow, password: &Password) -> anyhow::Result<bool> {
    let new_hash = state.hasher.hash(password).await?;
    if !password::replace_password(state, user, &new_hash, PasswordEvent::Reset, device, None).await? {
        return Ok(false);
    }
    // The old password is gone: earlier failed logins against it don't count any more.
    state.limits.clear(&limits::LOGIN_PER_NAME, &user.username.to_lowercase()).await?;
    state.limits.clear(&limits::LOGIN_PER_NAME, &user.email.to_lowercase()).await?;
    tracing::info!(user_id = %user.id, "password reset; every session ended");
    Ok(true)
}
