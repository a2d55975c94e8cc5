//! Confirming the account with the emailed link or its code, and asking for another mail.

use crate::{api::client::AuthClient, error::AppError, i18n::Msg};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::context::{current_user, state},
    server::services::confirmation,
};

/// Confirms the logged-in account with the token from the link; returns the new session token.
#[server(prefix = "/api/fn", endpoint = "confirm", client = AuthClient)]
pub async fn confirm(token: String) -> Result<String, AppError> {
    let user = current_user().await?;
    Ok(confirmation::confirm(&state(), &user, &token).await?)
}

/// Confirms the logged-in account with the code from the mail; returns the new session token.
#[server(prefix = "/api/fn", endpoint = "confirm-code", client = AuthClient)]
pub async fn confirm_code(code: String) -> Result<String, AppError> {
    let user = current_user().await?;
    Ok(confirmation::confirm_with_code(&state(), &user, &code).await?)
}

/// Mails another confirmation link; returns the message to show.
#[server(prefix = "/api/fn", endpoint = "resend-confirm", client = AuthClient)]
pub async fn resend_confirmation() -> Result<Msg, AppError> {
    let user = current_user().await?;
    confirmation::resend(&state(), &user, None).await?;
    Ok(Msg::Resent)
}
