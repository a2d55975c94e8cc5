//! Passwords: the logged-in change, asking for the password again before a sensitive change, and
//! logging out of every device; and replacing the hash, which every change and reset (`reset`)
//! ends with: every session ends and the owner is told by mail.

use crate::{
    domain::{Password, SecurityEventKind},
    error::AppError,
    i18n::Msg,
    server::{
        auth::password::has_password,
        db::{
            sessions,
            users::{self, UserRow},
        },
        email::{self, MailKind},
        identity::{CurrentUser, Device},
        limits::{self, Allowance, NetworkLimit, Refused},
        network::ClientNetwork,
        services::{
            codes::{self, CodePurpose},
            security, session,
        },
        state::AppState,
    },
};
use anyhow::Context;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("rejected: {0:?}")]
    Rejected(Msg),
    /// Too many wrong old passwords, or password hashes; `message` says which.
    #[error("too many password attempts")]
    Throttled { retry_after: u64, message: Msg },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<UpdateError> for AppError {
    fn from(err: UpdateError) -> Self {
        match err {
            UpdateError::Rejected(message) => AppError::BadRequest(message),
            UpdateError::Throttled { retry_after, message } => AppError::TooManyRequests { message, retry_after },
            UpdateError::Unexpected(e) => super::internal_error("password update", &e),
        }
    }
}

/// Changes the password of the logged-in (confirmed) account and returns a session token for the
/// new session version, so this tab stays logged in while every other session ends.
///
/// # Errors
/// `Rejected` with the seed's messages (blank, unchanged, wrong old password) or the policy's;
/// `Throttled` after five wrong old passwords (`limits::PASSWORD_CHANGE_PER_ACCOUNT`), or when
/// the account's or the network's hashes are spent (a change costs two).
pub async fn update(state: &AppState, user: &CurrentUser, old: &str, new: String) -> Result<String, UpdateError> {
    let reject = |m: Msg| Err(UpdateError::Rejected(m));
    if old.trim().is_empty() {
        return reject(Msg::OldPasswordBlank);
    }
    if new.trim().is_empty() {
        return reject(Msg::NewPasswordBlank);
    }
    if old == new {
        return reject(Msg::NewPasswordSame);
    }
    match confirm_identity(state, user, old).await {
        Ok(()) => {}
        Err(IdentityError::Wrong) => return reject(Msg::OldPasswordWrong),
        Err(IdentityError::NoPassword) => return reject(Msg::NoPasswordYet),
        Err(IdentityError::Throttled { retry_after, message }) => {
            return Err(UpdateError::Throttled { retry_after, message });
        }
        Err(IdentityError::Unexpected(e)) => return Err(e.into()),
    }
    let password = Password::parse(new).map_err(|e| UpdateError::Rejected(e.msg()))?;
    // The new password is a second hash, from the same allowances as the first.
    let per_network = limits::password_hashes_per_network(state.settings.limits.password_hashes_per_ip);
    if let Err((message, Refused { retry_after })) = state.limits.spend_in_turn(&hashes(user, &per_network)).await? {
        return Err(UpdateError::Throttled { retry_after, message });
    }
    let new_hash = state.hasher.hash(&password).await?;
    let keep = Some(user.session.id.as_str());
    if !replace_password(state, &user.row, &new_hash, PasswordEvent::Changed, &user.device, keep).await? {
        return reject(Msg::PasswordChangedMeanwhile);
    }
    let row = users::find_by_id(&state.pool, &user.row.id)
        .await
        .context("reloading the account")?
        .context("account vanished")?;
    tracing::info!(user_id = %row.id, "password changed; every other session ended");
    Ok(session::reissue(state, user, &row))
}

/// Why the password typed again for a sensitive change was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("wrong password")]
    Wrong,
    /// The account has no password to type (it signs in by email): it sets one first
    /// (`set_password`).
    #[error("no password")]
    NoPassword,
    /// Too many wrong passwords, or password hashes, for the account or from its network;
    /// `message` says which.
    #[error("too many password attempts")]
    Throttled { retry_after: u64, message: Msg },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Checks the account's password again before a sensitive change (the password, the address,
/// deleting the account), so a session left open on a shared computer is not enough.
///
/// # Errors
/// `NoPassword`; `Wrong`; `Throttled` after five wrong passwords in 15 minutes, the allowance shared by every
/// such form (`limits::PASSWORD_CHANGE_PER_ACCOUNT`), so a stolen session can't guess the password;
/// `Throttled` too when the account's or the network's hashes are spent, right passwords included
/// (`limits::PASSWORD_HASHES_PER_ACCOUNT`, `limits::password_hashes_per_network`).
pub async fn confirm_identity(state: &AppState, user: &CurrentUser, password: &str) -> Result<(), IdentityError> {
    // Its owner is asking, in its own session: saying so costs no hash and reveals nothing.
    if !has_password(&user.row.password_hash) {
        return Err(IdentityError::NoPassword);
    }
    // Spent before the check, so concurrent guesses can't all slip through; a right password gives
    // back the wrong-password allowance, never the hashes.
    let failures = &limits::PASSWORD_CHANGE_PER_ACCOUNT;
    let per_network = limits::password_hashes_per_network(state.settings.limits.password_hashes_per_ip);
    let [account_hashes, network_hashes] = hashes(user, &per_network);
    let spent = state
        .limits
        .spend_in_turn(&[
            (Allowance::Subject(failures, &user.row.id), Msg::OldPasswordThrottled),
            account_hashes,
            network_hashes,
        ])
        .await?;
    if let Err((message, Refused { retry_after })) = spent {
        return Err(IdentityError::Throttled { retry_after, message });
    }
    if !state.hasher.verify(password, Some(&user.row.password_hash)).await? {
        return Err(IdentityError::Wrong);
    }
    state.limits.clear(failures, &user.row.id).await?;
    Ok(())
}

/// The hash allowances a logged-in request spends before each hash: its account's and its
/// network's, with what a refusal says.
pub(super) fn hashes<'a>(user: &'a CurrentUser, per_network: &'a NetworkLimit) -> [(Allowance<'a>, Msg); 2] {
    [
        (Allowance::Subject(&limits::PASSWORD_HASHES_PER_ACCOUNT, &user.row.id), Msg::PasswordAttemptsThrottled),
        (Allowance::Network(per_network, ClientNetwork::of(user.device.ip)), Msg::PasswordAttemptsThrottledNetwork),
    ]
}

/// How a password came to be replaced: the mail and the security log say which.
#[derive(Debug, Clone, Copy)]
pub(super) enum PasswordEvent {
    Reset,
    Changed,
    /// Set with a mailed code on an account that had none.
    Set,
}

/// Swaps the hash (if it is still the one `user` has), ends every session but `keep`, logs the
/// event and queues the "your password was changed" mail, all in one transaction.
pub(super) async fn replace_password(
    state: &AppState,
    user: &UserRow,
    new_hash: &str,
    event: PasswordEvent,
    device: &Device,
    keep: Option<&str>,
) -> anyhow::Result<bool> {
    let (how, kind) = match event {
        PasswordEvent::Reset => ("reset", SecurityEventKind::PasswordReset),
        PasswordEvent::Changed => ("changed", SecurityEventKind::PasswordChanged),
        PasswordEvent::Set => ("set", SecurityEventKind::PasswordSet),
    };
    let mut tx = state.pool.begin().await.context("starting the password change")?;
    if !users::change_password(&mut *tx, &user.id, &user.password_hash, new_hash)
        .await
        .context("changing the password")?
    {
        return Ok(false);
    }
    sessions::delete_all_but(&mut *tx, &user.id, keep).await.context("ending the sessions")?;
    // A reset's link and code are one action: whichever was used, the other dies with it. A code
    // to set a password is for an account without one, which it no longer is.
    codes::discard(&mut *tx, &user.id, CodePurpose::Reset).await?;
    codes::discard(&mut *tx, &user.id, CodePurpose::SetPassword).await?;
    security::record(&mut *tx, &user.id, kind, device).await?;
    let context = json!({
        "username": user.username,
        "how": how,
        "link": format!("{}/reset-password-request", state.settings.app_url),
    });
    email::queue(&mut *tx, MailKind::PasswordChanged, user.locale, Some(&user.id), &user.email, context).await?;
    tx.commit().await.context("committing the password change")?;
    state.mail.wake();
    Ok(true)
}
