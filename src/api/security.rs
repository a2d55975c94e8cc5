//! The account's security log, and securing the account from a new-device mail's link.

use crate::{api::client::AuthClient, domain::SecurityEvent, error::AppError, i18n::Msg};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::context::{current_user, device, state},
    server::services::{secure_account, security},
};

/// The account's security events of the last 90 days, newest first.
#[server(prefix = "/api/fn", endpoint = "security-events", client = AuthClient)]
pub async fn security_events() -> Result<Vec<SecurityEvent>, AppError> {
    let user = current_user().await?;
    Ok(security::recent(&state(), &user).await?)
}

/// Ends every session, locks the password and mails a reset link (no login: the link is the
/// proof, and the account's address, typed, shows a person asks).
#[server(prefix = "/api/fn", endpoint = "secure-account", client = AuthClient)]
pub async fn secure_account(token: String, email: String) -> Result<Msg, AppError> {
    secure_account::secure(&state(), &device(), &token, &email).await?;
    Ok(Msg::AccountSecured)
}
