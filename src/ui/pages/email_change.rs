//! Changing the address: the form on `/settings/account`, and the pages the two emailed links
//! open: `/confirm-email-change#token=…` (logged in: asks "Move your account to new@…?" and moves
//! it on the button) and `/revert-email-change#token=…` (no login: puts the old address back once
//! it is typed, since it ends every session and locks the password).
//!
//! Neither acts when it opens: mail scanners open every link, and some press the buttons they
//! find, so the revert also asks for something typed that a scanner can't know.

use super::{address_form::AddressForm, set_password::PasswordNeeded};
use crate::{
    api::email_change::{ConfirmEmailChange, RevertEmailChange},
    domain::{EmailAddress, session::decode_unverified},
    i18n::{Msg, fill},
    ui::{
        components::{BounceBanner, Notice, Problem, Profile, SubmitButton, TextField, When, countdown, outcome},
        effect::effect,
        focus, link_token,
        locale::{Lang, tr},
        session::Session,
    },
};
use leptos::prelude::*;
use leptos_router::components::A;

/// The "Change your email address" part of `/settings/account`.
#[component]
pub fn ChangeEmailForm(profile: Profile) -> impl IntoView {
    let lang = Lang::expect();
    let form = AddressForm::new(|| {});
    let action = form.action;
    let wait = countdown();
    let (done, failure) = outcome(action.value());
    view! {
        <h2>{tr(|t| t.account_change_email)}</h2>
        <BounceBanner profile/>
        {move || profile.email().map(|email| view! {
            <p class="muted" data-testid="current-email">{fill(lang.text().account_current_email, &[("email", &email)])}</p>
        })}
        <Notice kind="success" message=done/>
        <When when=move || profile.has_password() fallback=PasswordNeeded>
            <Problem error=failure form="email-form" wait/>
            <form id="email-form" on:submit=form.submit("email-form") novalidate>
                {form.fields(|t| t.hint_new_email)}
                <SubmitButton label=|t| t.email_change_submit busy_label=|t| t.sending pending=action.pending()
                    blocked=Signal::derive(move || wait.get() > 0)/>
            </form>
        </When>
    }
}

/// The claim of an address-change link the page shows: the address it moves the account to.
/// Unverified, like every token the browser reads (see `domain::session`): the server decides.
#[derive(serde::Deserialize)]
struct ChangeLinkInfo {
    email: String,
}

/// `/confirm-email-change#token=…`: asks "Move your account to new@…?" and moves it when the
/// button is pressed, never on load (the guard has made sure someone is logged in; the server
/// checks it is the right account).
#[component]
pub fn ConfirmEmailChangePage() -> impl IntoView {
    let lang = Lang::expect();
    let token = link_token::take("/confirm-email-change");
    let action = ServerAction::<ConfirmEmailChange>::new();
    let (done, failure) = outcome(action.value());
    let finished = move || done.with(Option::is_some);
    let question = move || {
        let text = lang.text();
        match token.with(|t| t.as_deref().and_then(decode_unverified::<ChangeLinkInfo>)) {
            Some(info) => fill(text.confirm_change_question, &[("email", &info.email)]),
            None => text.confirm_change_question_plain.to_owned(),
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(t) = token.get_untracked() {
            action.dispatch(ConfirmEmailChange { token: t });
        }
    };
    view! {
        <section class="card narrow">
            <h1>{tr(|t| t.confirm_change_title)}</h1>
            <Notice kind="success" message=done/>
            <Problem error=failure/>
            <When
                when=move || token.get().is_some() && !finished()
                fallback=move || view! {
                    <When when=move || !finished()>
                        <p>{tr(|t| t.confirm_change_needs_link)}</p>
                    </When>
                }
            >
                <p data-testid="confirm-change-question"><strong>{question}</strong></p>
                <p>{tr(|t| t.confirm_change_explain)}</p>
                <form id="confirm-change-form" on:submit=on_submit>
                    <SubmitButton label=|t| t.confirm_change_submit busy_label=|t| t.confirm_change_busy
                        pending=action.pending()/>
                </form>
            </When>
            <p><A href="/settings/account">{tr(|t| t.to_settings)}</A></p>
        </section>
    }
}

/// `/revert-email-change#token=…`: puts the old address back when it is typed and the button
/// pressed. Not on load, and not on a press alone: it ends every session and locks the password,
/// mail scanners open links, and some press buttons too; none types the address.
#[component]
pub fn RevertEmailChangePage() -> impl IntoView {
    let session = Session::expect();
    let token = link_token::take("/revert-email-change");
    let email = RwSignal::new(String::new());
    let email_error = RwSignal::new(None::<Msg>);
    let action = ServerAction::<RevertEmailChange>::new();
    // Every session has ended, this browser's included: forget its token now.
    effect(move || match action.value().get() {
        Some(Ok(_)) => session.log_out(),
        // The server's word on the address goes next to the field, as the browser's own does.
        Some(Err(e)) => email_error.set(e.field_message("email")),
        None => {}
    });
    let (done, failure) = outcome(action.value());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = email.get_untracked();
        let problem = if typed.trim().is_empty() {
            Some(Msg::RevertEmailMissing)
        } else {
            EmailAddress::check(&typed).err().map(|e| e.msg())
        };
        email_error.set(problem);
        if problem.is_some() {
            focus::first_invalid("revert-form");
        } else if let Some(t) = token.get_untracked() {
            action.dispatch(RevertEmailChange { token: t, email: typed });
        }
    };
    let finished = move || done.with(Option::is_some);
    view! {
        <section class="card narrow">
            <h1>{tr(|t| t.revert_title)}</h1>
            <Notice kind="success" message=done/>
            <Problem error=failure form="revert-form"/>
            <When
                when=move || token.get().is_some() && !finished()
                fallback=move || view! {
                    <When when=move || !finished()>
                        <p>{tr(|t| t.revert_needs_link)}</p>
                    </When>
                }
            >
                <p>{tr(|t| t.revert_explain)}</p>
                <form id="revert-form" on:submit=on_submit novalidate>
                    <TextField name="old_email" label=|t| t.field_old_email kind="email" value=email
                        error=email_error autocomplete="email" hint=|t| t.hint_old_email/>
                    <SubmitButton label=|t| t.revert_submit busy_label=|t| t.saving pending=action.pending()/>
                </form>
            </When>
        </section>
    }
}
