//! The account's own settings: for now its language, the one its mail is written in.

use crate::{
    error::AppError,
    i18n::{Locale, Msg},
    server::{db::users, identity::CurrentUser, state::AppState},
};
use anyhow::Context;

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
