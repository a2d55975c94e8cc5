//! Registering a new account.

use crate::{
    domain::{EmailAddress, Password, Username},
    error::AppError,
    i18n::{Locale, Msg},
    server::{
        clock::now,
        db::{
            address_holds,
            users::{self, InsertUserError, NewUser},
        },
        email::{self, Budget, Budgeted, MailKind},
        limits::{self, Allowance, Refused},
        network::ClientNetwork,
        services::confirmation::{self, ConfirmTo},
        state::AppState,
    },
};
use anyhow::Context;
use serde_json::json;
use std::{collections::BTreeMap, net::IpAddr};

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("invalid registration input")]
    Invalid(BTreeMap<String, Msg>),
    #[error("registration throttled")]
    Throttled { retry_after: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<RegisterError> for AppError {
    fn from(err: RegisterError) -> Self {
        match err {
            RegisterError::Invalid(fields) => AppError::Validation(fields),
            RegisterError::Throttled { retry_after } => {
                AppError::TooManyRequests { message: Msg::RegisterThrottled, retry_after }
            }
            RegisterError::Unexpected(e) => super::internal_error("registration", &e),
        }
    }
}

/// Checks every field as typed (all messages at once, as the seed did; a missing field is a blank
/// one), hashes the password and inserts the account, unconfirmed, with `locale` (the language the
/// person registered in) as the language of its mail, starting with the confirmation.
/// `base_url` is the seed's client-chosen link base, honoured only for an allowed origin (see
/// `confirmation::link`).
///
/// # Errors
/// `Invalid` with a message per bad field, or for a taken username; `Throttled` past the limits per
/// client network and per email address, or when the network's password hashes are spent;
/// `Unexpected` when the database or the hasher fails.
pub async fn register(
    state: &AppState,
    client: IpAddr,
    username: &str,
    email: &str,
    password: String,
    base_url: Option<&str>,
    locale: Locale,
) -> Result<(), RegisterError> {
    let mut fields = BTreeMap::new();
    let username = Username::parse(username).map_err(|e| fields.insert("username".to_owned(), e.msg())).ok();
    let email = EmailAddress::parse(email).map_err(|e| fields.insert("email".to_owned(), e.msg())).ok();
    let password = Password::parse(password).map_err(|e| fields.insert("password".to_owned(), e.msg())).ok();
    let (Some(username), Some(email), Some(password)) = (username, email, password) else {
        return Err(RegisterError::Invalid(fields));
    };
    // Before the hash, so a refused attempt costs almost nothing; and for every address alike,
    // registered or not, so a refusal tells nobody which ones are.
    let network = ClientNetwork::of(client);
    let per_network = limits::registrations_per_network(state.settings.limits.registrations_per_ip);
    let hashes = limits::password_hashes_per_network(state.settings.limits.password_hashes_per_ip);
    let email_key = email.key();
    let spent = state
        .limits
        .spend_in_turn(&[
            (Allowance::Network(&per_network, network), ()),
            (Allowance::Subject(&limits::REGISTRATIONS_PER_EMAIL, &email_key), ()),
            (Allowance::Network(&hashes, network), ()),
        ])
        .await?;
    if let Err(((), Refused { retry_after })) = spent {
        return Err(RegisterError::Throttled { retry_after });
    }

    // Hash first, then insert, whatever the name: the unique keys settle races, and no early exit
    // makes a taken name or address answer faster than a free one.
    let password_hash = state.hasher.hash(&password).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let new_user = NewUser {
        id: &id,
        username: username.as_ref(),
        username_key: &username.key(),
        email: email.as_ref(),
        email_key: &email.key(),
        password_hash: &password_hash,
        locale,
        now: now(),
    };
    let mut tx = state.pool.begin().await.context("starting the registration")?;
    match users::insert(&mut *tx, &new_user).await {
        Ok(()) => {
            // An address given up by another account in the last 7 days is still that account's
            // (its revert link may bring it back): taken, and said no more loudly than taken.
            // Checked after the insert, in its transaction, so a change committed meanwhile is seen.
            if address_holds::held_for_another(&mut *tx, &email.key(), &id, new_user.now)
                .await
                .context("checking address holds")?
            {
                drop(tx);
                tracing::info!("registration with an address held for another account: nothing created");
                return Ok(());
            }
            // The account and its confirmation mail commit together, or neither does.
            let to = ConfirmTo { user_id: &id, username: username.as_ref(), email: email.as_ref(), email_version: 0 };
            let context = confirmation::mail_context(&mut *tx, state, &to, base_url).await?;
            email::queue(&mut *tx, MailKind::Confirm, locale, Some(&id), email.as_ref(), context).await?;
            tx.commit().await.context("committing the registration")?;
            state.mail.wake();
            tracing::info!(user_id = %id, "account registered");
            Ok(())
        }
        Err(InsertUserError::UsernameTaken) => {
            drop(tx);
            give_back_email(state, &email).await?;
            Err(username_taken())
        }
        Err(InsertUserError::EmailTaken) => {
            drop(tx);
            // A taken username is public anyway (it's a handle); a taken address must not be.
            if users::username_taken(&state.pool, &username.key()).await.context("checking the username")? {
                give_back_email(state, &email).await?;
                return Err(username_taken());
            }
            notify_owner(state, &email).await?;
            Ok(())
        }
        Err(InsertUserError::Database(e)) => Err(anyhow::Error::new(e).context("inserting the new account").into()),
    }
}

/// A taken username is no fault of the address: the person picks another name, and that try
/// shouldn't count against the address (an answer every address gets alike).
async fn give_back_email(state: &AppState, email: &EmailAddress) -> anyhow::Result<()> {
    state.limits.give_back(&limits::REGISTRATIONS_PER_EMAIL, &email.key()).await
}

fn username_taken() -> RegisterError {
    RegisterError::Invalid(BTreeMap::from([("username".to_owned(), Msg::UsernameTaken)]))
}

/// Someone registered with an address that has an account. They get the same answer as a new
/// registration (so the form can't be used to find out who has an account), and the owner gets a
/// mail saying so, at most one an hour, in case it was them and they forgot they had an account.
/// The mail is in the owner's language, not the stranger's.
async fn notify_owner(state: &AppState, email: &EmailAddress) -> anyhow::Result<()> {
    let Some(owner) = users::find_by_login(&state.pool, &email.key()).await.context("finding the owner")? else {
        // Deleted in between: nothing to say to anyone.
        return Ok(());
    };
    let context =
        json!({ "username": owner.username, "link": format!("{}/reset-password-request", state.settings.app_url) });
    let queued = email::queue_within_budget(
        &state.pool,
        Budget::Notice,
        MailKind::AlreadyRegistered,
        owner.locale,
        &owner.id,
        &owner.email,
        context,
    )
    .await?;
    if queued != Budgeted::Queued {
        tracing::info!(user_id = %owner.id, "registration with a taken address: notice already sent this hour");
        return Ok(());
    }
    state.mail.wake();
    tracing::info!(user_id = %owner.id, "registration with a taken address: owner notified");
    Ok(())
}
