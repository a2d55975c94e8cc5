//! Registration, login and the current account.

use crate::{api::client::AuthClient, domain::UserProfile, error::AppError, i18n::Msg};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::context::{client_ip, current_user, state},
    server::services::{registration, session},
};

/// Creates an unconfirmed account; returns the message to show.
#[server(prefix = "/api/fn", endpoint = "register", client = AuthClient)]
pub async fn register(username: String, email: String, password: String) -> Result<Msg, AppError> {
    let form = registration::RegistrationForm {
        username: Some(username),
        email: Some(email),
        password: Some(password),
        confirm_email_base_url: None,
    };
    registration::register(&state(), form).await?;
    Ok(Msg::Registered)
}

/// Exchanges a username-or-email and password for a session token.
#[server(prefix = "/api/fn", endpoint = "login", client = AuthClient)]
pub async fn login(login: String, password: String) -> Result<String, AppError> {
    Ok(session::login(&state(), client_ip(), &login, &password).await?)
}

/// The logged-in account.
#[server(prefix = "/api/fn", endpoint = "me", client = AuthClient)]
pub async fn me() -> Result<UserProfile, AppError> {
    Ok(session::profile(&current_user().await?))
}
