//! Registration, login and the current account.

use crate::{api::client::AuthClient, domain::UserProfile, error::AppError, i18n::Msg};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::context::{client_ip, current_user, device, state},
    i18n::request as locale,
    server::services::{lifecycle, profile, registration},
};

/// Creates an unconfirmed account, whose mail is in the language the page is in; returns the
/// message to show.
#[server(prefix = "/api/fn", endpoint = "register", client = AuthClient)]
pub async fn register(username: String, email: String, password: String) -> Result<Msg, AppError> {
    registration::register(&state(), client_ip(), &username, &email, password, None, locale::current()).await?;
    Ok(Msg::Registered)
}

/// Exchanges a username-or-email and password for a session token.
#[server(prefix = "/api/fn", endpoint = "login", client = AuthClient)]
pub async fn login(login: String, password: String) -> Result<String, AppError> {
    Ok(crate::server::services::login::login(&state(), &device(), &login, &password).await?)
}

/// The logged-in account.
#[server(prefix = "/api/fn", endpoint = "me", client = AuthClient)]
pub async fn me() -> Result<UserProfile, AppError> {
    Ok(profile::me(&current_user().await?))
}

/// Makes `language` (`en`, `zh-CN`) the language of the logged-in account's mail: what the
/// switcher calls when someone is logged in, confirmed or not.
#[server(prefix = "/api/fn", endpoint = "language", client = AuthClient)]
pub async fn set_language(language: String) -> Result<(), AppError> {
    profile::set_language(&state(), &current_user().await?, &language).await?;
    Ok(())
}

/// Deletes the logged-in account, with its password typed again.
#[server(prefix = "/api/fn", endpoint = "delete-account", client = AuthClient)]
pub async fn delete_account(password: String) -> Result<Msg, AppError> {
    lifecycle::delete_account(&state(), &current_user().await?, &password).await?;
    Ok(Msg::AccountDeleted)
}
