//! Registering a new account.

use crate::{
    domain::{EmailAddress, Password, Username},
    error::AppError,
    server::{
        auth::tokens::now,
        db::users::{self, InsertUserError, NewUser},
        state::AppState,
    },
};
use std::collections::BTreeMap;

/// The raw form, as it arrives from JSON or a server function. Missing fields are `None` and get
/// the same field message as blank ones.
#[derive(Debug, Default, serde::Deserialize)]
pub struct RegistrationForm {
    pub username: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("invalid registration input")]
    Invalid(BTreeMap<String, String>),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<RegisterError> for AppError {
    fn from(err: RegisterError) -> Self {
        match err {
            RegisterError::Invalid(fields) => AppError::Validation(fields),
            RegisterError::Unexpected(e) => {
                super::log_unexpected("registration", &e);
                AppError::Internal
            }
        }
    }
}

/// What a successful registration tells the person.
pub const REGISTERED: &str = "Thanks for registering! A link to confirm your account has been emailed to the address provided.";

/// Checks every field (all messages at once, as the seed did), hashes the password and inserts the
/// account, unconfirmed.
///
/// # Errors
/// `Invalid` with a message per bad field, or for a taken username or address; `Unexpected` when
/// the database or the hasher fails.
pub async fn register(state: &AppState, form: RegistrationForm) -> Result<(), RegisterError> {
    let mut fields = BTreeMap::new();
    let username = Username::parse(form.username.as_deref().unwrap_or_default())
        .map_err(|e| fields.insert("username".to_owned(), e.to_string()))
        .ok();
    let email = EmailAddress::parse(form.email.as_deref().unwrap_or_default())
        .map_err(|e| fields.insert("email".to_owned(), e.to_string()))
        .ok();
    let password = Password::parse(form.password.unwrap_or_default())
        .map_err(|e| fields.insert("password".to_owned(), e.to_string()))
        .ok();
    let (Some(username), Some(email), Some(password)) = (username, email, password) else {
        return Err(RegisterError::Invalid(fields));
    };

    // Hash first, then insert, whatever the name: the unique keys settle races, and no early exit
    // makes a taken name answer faster than a free one.
    let password_hash = state.hasher.hash(&password).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let new_user = NewUser {
        id: &id,
        username: username.as_ref(),
        username_key: &username.key(),
        email: email.as_ref(),
        email_key: &email.key(),
        password_hash: &password_hash,
        now: now(),
    };
    match users::insert(&state.pool, &new_user).await {
        Ok(()) => {
            tracing::info!(user_id = %id, "account registered");
            Ok(())
        }
        Err(InsertUserError::UsernameTaken) => Err(RegisterError::Invalid(BTreeMap::from([(
            "username".to_owned(),
            "Please use a different username.".to_owned(),
        )]))),
        Err(InsertUserError::EmailTaken) => Err(RegisterError::Invalid(BTreeMap::from([(
            "email".to_owned(),
            "Please use a different email address.".to_owned(),
        )]))),
        Err(InsertUserError::Database(e)) => Err(anyhow::Error::new(e)
            .context("inserting the new account")
            .into()),
    }
}
