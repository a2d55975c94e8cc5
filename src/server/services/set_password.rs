//! Setting a password on an account that has none (its password was dropped when a sign-in by
//! email confirmed it, or locked by a revert or "this wasn't me"): a code mailed to the account's
//! address, typed with the new password in the account's own signed-in session.
//!
//! The mail grants nothing by itself: its code works only together with the session that asked,
//! so a mail scanner (or anyone else who reads the mail) can't use it.

use crate::{
    domain::{Code, Password},
    error::AppError,
    i18n::Msg,
    server::{
        auth::password::has_password,
        db::users::{self, UserRow},
        email::{self, Budget, MailKind},
        identity::CurrentUser,
        limits::{self, Refused},
        services::{
            codes::{self, Checked, CodePurpose},
            password::{self, PasswordEvent},
            session,
        },
        state::AppState,
    },
};
use anyhow::Context;
use serde_json::json;

/// How long a mailed code works: long enough to switch to the mail and back.
pub const CODE_VALID_FOR_SECS: i64 = 15 * 60;

#[derive(Debug, thiserror::Error)]
pub enum SetPasswordError {
    /// The account has a password: it changes it with the current one instead.
    #[error("the account has a password")]
    HasPassword,
    #[error("invalid field")]
    Invalid(&'static str, Msg),
    #[error("wrong code")]
    WrongCode,
    /// None mailed, expired, tried five times, or mailed before the password or address changed.
    #[error("dead code")]
    DeadCode,
    /// Codes mailed too often, or the account's or network's hashes spent; `message` says which.
    #[error("too many attempts")]
    Throttled { retry_after: u64, message: Msg },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<SetPasswordError> for AppError {
    fn from(err: SetPasswordError) -> Self {
        match err {
            SetPasswordError::HasPassword => AppError::BadRequest(Msg::PasswordAlreadySet),
            SetPasswordError::Invalid(field, message) => AppError::field(field, message),
            SetPasswordError::WrongCode => AppError::field("code", Msg::CodeWrong),
            SetPasswordError::DeadCode => AppError::field("code", Msg::CodeDead),
            SetPasswordError::Throttled { retry_after, message } => AppError::TooManyRequests { message, retry_after },
            SetPasswordError::Unexpected(e) => super::internal_error("setting a password", &e),
        }
    }
}

/// What a code is bound to besides its account and purpose: the address it went to and the
/// account's lock marker, so it dies when either changes (an address change, a password set or
/// reset, another lock).
fn binding(state: &AppState, row: &UserRow) -> String {
    format!("{}\n{}", row.email, state.tokens.password_fingerprint(&row.password_hash))
}

/// Mails the account a code to set a password with, replacing any code mailed before.
///
/// # Errors
/// `HasPassword`; `Throttled` within a minute of the last code or after five in an hour.
pub async fn send_code(state: &AppState, user: &CurrentUser) -> Result<(), SetPasswordError> {
    let row = &user.row;
    if has_password(&row.password_hash) {
        return Err(SetPasswordError::HasPassword);
    }
    // The budget, the code and the mail in one transaction: a refused request must not replace
    // the code of the mail before it.
    let mut tx = state.pool.begin().await.context("starting a set-password code")?;
    let retry_after = email::budget_wait(&mut tx, Budget::OnRequest, MailKind::SetPasswordCode, &row.id).await?;
    if retry_after > 0 {
        return Err(SetPasswordError::Throttled { retry_after, message: Msg::SetPasswordCodeThrottled });
    }
    let code =
        codes::issue(&mut *tx, state, &row.id, &binding(state, row), CodePurpose::SetPassword, CODE_VALID_FOR_SECS)
            .await?;
    let context = json!({ "username": row.username, "code": code, "valid_for": CODE_VALID_FOR_SECS });
    email::queue_requested(&mut *tx, MailKind::SetPasswordCode, row.locale, Some(&row.id), &row.email, context).await?;
    tx.commit().await.context("committing a set-password code")?;
    state.mail.wake();
    tracing::info!(user_id = %row.id, "set-password code mailed");
    Ok(())
}

/// Sets the password of an account that has none, with the code mailed to it; returns a fresh
/// token for this session, since every other session ends (as with any new password).
///
/// # Errors
/// `HasPassword`; `Invalid` for a malformed code or a weak password (no try spent); `WrongCode`
/// (five end the code); `DeadCode`; `Throttled` when the account's or network's hashes are spent.
pub async fn set(
    state: &AppState,
    user: &CurrentUser,
    typed_code: &str,
    raw: String,
) -> Result<String, SetPasswordError> {
    let row = &user.row;
    if has_password(&row.password_hash) {
        return Err(SetPasswordError::HasPassword);
    }
    let code = Code::parse(typed_code).map_err(|m| SetPasswordError::Invalid("code", m))?;
    let new = Password::parse(raw).map_err(|e| SetPasswordError::Invalid("password", e.msg()))?;
    match codes::check(state, &row.id, &binding(state, row), CodePurpose::SetPassword, &code).await? {
        Checked::Right => {}
        Checked::Wrong => return Err(SetPasswordError::WrongCode),
        Checked::Dead => return Err(SetPasswordError::DeadCode),
    }
    let per_network = limits::password_hashes_per_network(state.settings.limits.password_hashes_per_ip);
    if let Err((message, Refused { retry_after })) =
        state.limits.spend_in_turn(&password::hashes(user, &per_network)).await?
    {
        return Err(SetPasswordError::Throttled { retry_after, message });
    }
    let new_hash = state.hasher.hash(&new).await?;
    let keep = Some(user.session.id.as_str());
    // Compared against the marker the code was checked with: a set, reset or lock in between wins.
    if !password::replace_password(state, row, &new_hash, PasswordEvent::Set, &user.device, keep).await? {
        return Err(SetPasswordError::DeadCode);
    }
    let row =
        users::find_by_id(&state.pool, &row.id).await.context("reloading the account")?.context("account vanished")?;
    tracing::info!(user_id = %row.id, "password set; every other session ended");
    Ok(session::reissue(state, user, &row))
}
