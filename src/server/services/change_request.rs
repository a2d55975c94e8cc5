//! What a request to change the account's address checks and answers, whichever way it goes: a
//! confirmed account's link to the new address (`email_change`), or an unconfirmed account's
//! correction (`address_fix`). Also the notice to the owner of a taken address, which both send.

use crate::{
    domain::EmailAddress,
    error::AppError,
    i18n::Msg,
    server::{
        db::users,
        email::{self, Budget, Budgeted, MailKind},
        identity::CurrentUser,
        services::password::{self, IdentityError},
        state::AppState,
    },
};
use anyhow::Context;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum RequestChangeError {
    #[error("invalid new address")]
    InvalidEmail(Msg),
    #[error("that is already the address")]
    Unchanged,
    #[error("wrong password")]
    WrongPassword,
    #[error("no password")]
    NoPassword,
    #[error("too many password attempts")]
    PasswordThrottled { retry_after: u64, message: Msg },
    #[error("too many address changes")]
    Throttled { retry_after: u64 },
    /// An unconfirmed account was confirmed, or its address corrected, while this was checked.
    #[error("the account changed meanwhile")]
    Overtaken,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<RequestChangeError> for AppError {
    fn from(err: RequestChangeError) -> Self {
        match err {
            RequestChangeError::InvalidEmail(message) => AppError::field("new_email", message),
            RequestChangeError::Unchanged => AppError::field("new_email", Msg::EmailUnchanged),
            RequestChangeError::WrongPassword => AppError::field("password", Msg::PasswordWrong),
            RequestChangeError::NoPassword => AppError::field("password", Msg::NoPasswordYet),
            RequestChangeError::PasswordThrottled { retry_after, message } => {
                AppError::TooManyRequests { message, retry_after }
            }
            RequestChangeError::Throttled { retry_after } => {
                AppError::TooManyRequests { message: Msg::EmailChangeThrottled, retry_after }
            }
            RequestChangeError::Overtaken => AppError::BadRequest(Msg::AccountChangedMeanwhile),
            RequestChangeError::Unexpected(e) => super::internal_error("email change request", &e),
        }
    }
}

/// What the answer to a request says: the same whether or not the new address is free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// A link is on its way to the new address; the account keeps its address until it is used.
    Link,
    /// An unconfirmed account's address was corrected, and the new one gets the confirmation.
    Corrected,
}

impl Requested {
    pub fn message(self) -> Msg {
        match self {
            Self::Link => Msg::EmailChangeRequested,
            Self::Corrected => Msg::AddressCorrected,
        }
    }
}

/// The new address, parsed, once it differs from the account's and the password typed with it is
/// right.
///
/// # Errors
/// `InvalidEmail`, `Unchanged`, `NoPassword`, `WrongPassword`, `PasswordThrottled`.
pub async fn checked(
    state: &AppState,
    user: &CurrentUser,
    password: &str,
    raw_email: &str,
) -> Result<EmailAddress, RequestChangeError> {
    let new = EmailAddress::parse(raw_email).map_err(|e| RequestChangeError::InvalidEmail(e.msg()))?;
    if new.key() == key_of(&user.row.email) {
        return Err(RequestChangeError::Unchanged);
    }
    match password::confirm_identity(state, user, password).await {
        Ok(()) => Ok(new),
        Err(IdentityError::Wrong) => Err(RequestChangeError::WrongPassword),
        Err(IdentityError::NoPassword) => Err(RequestChangeError::NoPassword),
        Err(IdentityError::Throttled { retry_after, message }) => {
            Err(RequestChangeError::PasswordThrottled { retry_after, message })
        }
        Err(IdentityError::Unexpected(e)) => Err(e.into()),
    }
}

/// Tells the account that has `address`, if one does, that someone tried to move their account to
/// it: at most once an hour, in its own language. Whether there was one.
pub async fn notify_owner(state: &AppState, address: &EmailAddress) -> anyhow::Result<bool> {
    let Some(owner) = users::find_by_login(&state.pool, &address.key()).await.context("finding the owner")? else {
        return Ok(false);
    };
    let context = json!({ "username": owner.username });
    let (notice, kind) = (Budget::Notice, MailKind::EmailTaken);
    let queued =
        email::queue_within_budget(&state.pool, notice, kind, owner.locale, &owner.id, &owner.email, context).await?;
    if queued == Budgeted::Queued {
        state.mail.wake();
    }
    Ok(true)
}

/// The unique key of a stored address (`users.email_key`): stored addresses were parsed once, so
/// this is what that parse made of them.
pub fn key_of(email: &str) -> String {
    EmailAddress::parse(email).map_or_else(|_| email.to_lowercase(), |e| e.key())
}
