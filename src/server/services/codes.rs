//! Typed codes: the 8-digit code a confirmation or reset mail carries next to its link, for the
//! same action. Issued with the mail (in its transaction), checked with a try taken first, ended
//! when the action is done by code or by link. Each code is bound to the address it was mailed to
//! (it is in the keyed hash), so, like its link, it dies when the account's address changes.

use crate::{
    domain::Code,
    server::{clock::now, db::action_codes, state::AppState},
};
use anyhow::Context;
use rand::Rng;

/// Wrong guesses a code survives: the fifth wrong one kills it.
pub const MAX_TRIES: i64 = 5;

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    Confirm,
    Reset,
    /// Setting a password on an account that has none, from its signed-in session.
    SetPassword,
}

impl CodePurpose {
    fn name(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Reset => "reset",
            Self::SetPassword => "set-password",
        }
    }
}

/// What a typed code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    Right,
    Wrong,
    /// No live code: none was mailed, it expired, it was used (or its link was), or its tries are
    /// spent.
    Dead,
}

/// Makes a fresh code for the account, to be mailed to `email` (the account's address), stores its
/// hash (replacing the code before), and returns it as the mail shows it ("1234 5678"). Call
/// inside the transaction that queues the mail.
///
/// # Errors
/// On a database failure.
pub async fn issue<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    state: &AppState,
    user_id: &str,
    email: &str,
    purpose: CodePurpose,
    valid_for_secs: i64,
) -> anyhow::Result<String> {
    let digits = format!("{:08}", rand::thread_rng().gen_range(0..100_000_000u32));
    let hash = state.tokens.code_hash(user_id, purpose.name(), email, &digits);
    action_codes::upsert(executor, user_id, purpose.name(), &hash, now() + valid_for_secs)
        .await
        .context("storing a code")?;
    Ok(Code::display(&digits))
}

/// Checks a typed code, spending one of its tries first, against the account's address of the
/// moment (`email`): a code mailed to an address the account has left is `Wrong`. `user_id` may
/// name no account (a reset by code for an unknown address): the same statement runs and finds
/// nothing, so the answer and its time are those of a dead code.
///
/// # Errors
/// On a database failure.
pub async fn check(
    state: &AppState,
    user_id: &str,
    email: &str,
    purpose: CodePurpose,
    code: &Code,
) -> anyhow::Result<Checked> {
    let taken = action_codes::take_try(&state.pool, user_id, purpose.name(), MAX_TRIES, now())
        .await
        .context("taking a try at a code")?;
    let Some((stored, _tries)) = taken else { return Ok(Checked::Dead) };
    Ok(if state.tokens.code_matches(user_id, purpose.name(), email, code.as_ref(), &stored) {
        Checked::Right
    } else {
        Checked::Wrong
    })
}

/// Ends the account's code for `purpose`: its action was done, by code or by link.
///
/// # Errors
/// On a database failure.
pub async fn discard<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    purpose: CodePurpose,
) -> anyhow::Result<()> {
    action_codes::delete(executor, user_id, purpose.name()).await.context("ending a code")
}
