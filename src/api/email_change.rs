//! Changing the account's address: ask, confirm with the link mailed to the new address, or
//! revert with the link mailed to the old one.

use crate::{api::client::AuthClient, error::AppError, i18n::Msg};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::context::{current_confirmed_user, current_user, device, state},
    server::services::{email_change, email_revert},
};

/// Mails a link to `new_email` (or a notice to its owner, if it has an account: same answer); an
/// unconfirmed account moves to it at once, and it gets the confirmation.
#[server(prefix = "/api/fn", endpoint = "change-email", client = AuthClient)]
pub async fn request_email_change(password: String, new_email: String) -> Result<Msg, AppError> {
    let user = current_user().await?;
    Ok(email_change::request(&state(), &user, &password, &new_email).await?.message())
}

/// Moves the logged-in account to the address the link was mailed to.
#[server(prefix = "/api/fn", endpoint = "confirm-email-change", client = AuthClient)]
pub async fn confirm_email_change(token: String) -> Result<Msg, AppError> {
    let user = current_confirmed_user().await?;
    email_change::confirm(&state(), &user, &token).await?;
    Ok(Msg::EmailChanged)
}

/// Puts the old address back (no login: the link is the proof, and the old address, typed, shows
/// a person asks).
#[server(prefix = "/api/fn", endpoint = "revert-email-change", client = AuthClient)]
pub async fn revert_email_change(token: String, email: String) -> Result<Msg, AppError> {
    email_revert::revert(&state(), &device(), &token, &email).await?;
    Ok(Msg::EmailChangeReverted)
}
