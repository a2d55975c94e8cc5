//! Profiles: the account as its owner sees it (`GET /api/users/me`), a member's public profile,
//! and the account's own settings (for now its language, the one its mail is written in).

use crate::{
    domain::{PublicProfile, UserId, UserProfile},
    error::AppError,
    i18n::{Locale, Msg},
    server::{
        auth::password::has_password,
        clock::{now, rfc3339},
        db::users,
        identity::CurrentUser,
        state::AppState,
    },
};
use anyhow::Context;

/// The account as `GET /api/users/me` shows it.
pub fn me(user: &CurrentUser) -> UserProfile {
    // Housekeeping clears an expired flag within minutes; until then the end date says it.
    let undeliverable = user.row.mail_undeliverable.clone().filter(|_| user.row.mail_undeliverable_until > Some(now()));
    UserProfile {
        id: user.id,
        username: user.row.username.clone(),
        email: user.row.email.clone(),
        confirmed: user.row.confirmed,
        created_at: rfc3339(user.row.created_at),
        last_seen: rfc3339(user.row.last_seen),
        language: user.row.locale.tag().to_owned(),
        email_undeliverable: undeliverable.is_some(),
        undeliverable_reason: undeliverable,
        has_password: has_password(&user.row.password_hash),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// No account has that id (or it is not an id at all).
    #[error("no such account")]
    NotFound,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<ProfileError> for AppError {
    fn from(err: ProfileError) -> Self {
        match err {
            ProfileError::NotFound => AppError::NotFound,
            ProfileError::Unexpected(e) => super::internal_error("loading a profile", &e),
        }
    }
}

/// Account `id`'s public profile: its name and when it joined and was last seen, nothing else.
///
/// # Errors
/// `NotFound` for an id that is no account's (a string that is no UUID never reaches the
/// database).
pub async fn public_profile(state: &AppState, id: &str) -> Result<PublicProfile, ProfileError> {
    let id = UserId::parse(id).map_err(|_| ProfileError::NotFound)?.to_string();
    let row = users::find_by_id(&state.pool, &id).await.context("loading a profile")?.ok_or(ProfileError::NotFound)?;
    Ok(PublicProfile {
        id: row.id,
        username: row.username,
        created_at: rfc3339(row.created_at),
        last_seen: rfc3339(row.last_seen),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum LanguageError {
    /// A tag naming none of the languages Madblog speaks.
    #[error("unknown language")]
    Unknown,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<LanguageError> for AppError {
    fn from(err: LanguageError) -> Self {
        match err {
            LanguageError::Unknown => AppError::field("language", Msg::LanguageUnknown),
            LanguageError::Unexpected(e) => super::internal_error("setting the language", &e),
        }
    }
}

/// Makes `tag` (`en`, `zh-CN`, or any tag [`Locale::from_tag`] reads as one of them) the language
/// of `user`'s mail from now on, including mail already asked for but not yet written, and returns
/// it. Confirmed or not: someone waiting on `/unconfirmed` may switch before asking for another
/// confirmation mail.
///
/// # Errors
/// `Unknown` for a tag naming no language of ours (the stored one stays); `Unexpected` on a
/// database failure.
pub async fn set_language(state: &AppState, user: &CurrentUser, tag: &str) -> Result<Locale, LanguageError> {
    let locale = Locale::from_tag(tag).ok_or(LanguageError::Unknown)?;
    users::set_locale(&state.pool, &user.row.id, locale).await.context("storing the language")?;
    tracing::info!(user_id = %user.row.id, language = locale.tag(), "account language set");
    Ok(locale)
}
