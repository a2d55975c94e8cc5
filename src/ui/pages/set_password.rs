//! "Set a password" on `/settings/account`, for an account that has none (it signs in by email):
//! a code mailed to the account's address, typed here with the new password. It stands where the
//! password change would be; the forms that ask for the password say to set one first.

use crate::{
    api::password::{SendSetPasswordCode, SetPassword},
    domain::{Code, Password},
    i18n::Msg,
    ui::{
        components::{Notice, Problem, Profile, SubmitButton, TextField, When, countdown, outcome},
        effect::effect,
        focus,
        locale::tr,
        session::Session,
    },
};
use leptos::prelude::*;

/// The button that mails the code, then the code and the new password (twice). `done` is set once
/// the password is, for the page to say so after this form has given way to the change form.
#[component]
pub fn SetPasswordForm(profile: Profile, done: RwSignal<bool>) -> impl IntoView {
    let session = Session::expect();
    let send = ServerAction::<SendSetPasswordCode>::new();
    let set = ServerAction::<SetPassword>::new();
    let code = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let new2 = RwSignal::new(String::new());
    let code_error = RwSignal::new(None::<Msg>);
    let new_error = RwSignal::new(None::<Msg>);
    let new2_error = RwSignal::new(None::<Msg>);
    effect(move || match set.value().get() {
        Some(Ok(token)) => {
            // This tab's session goes on with the new password; the others have ended.
            session.log_in(&token);
            done.set(true);
            profile.reload();
        }
        Some(Err(e)) => {
            code_error.set(e.field_message("code"));
            new_error.set(e.field_message("password"));
        }
        None => {}
    });
    let (sent, send_failure) = outcome(send.value());
    let failure = Signal::derive(move || match set.value().get() {
        Some(Err(e)) if e.field_message("code").is_none() && e.field_message("password").is_none() => Some(e),
        _ => None,
    });
    let wait = countdown();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (typed, n, n2) = (code.get_untracked(), new.get_untracked(), new2.get_untracked());
        let parsed = Code::parse(&typed);
        let n_err = Password::parse(n.clone()).err().map(|e| e.msg());
        let n2_err = (n_err.is_none() && n != n2).then_some(Msg::PasswordsDiffer);
        code_error.set(parsed.as_ref().err().copied());
        new_error.set(n_err);
        new2_error.set(n2_err);
        match parsed {
            Ok(c) if n_err.is_none() && n2_err.is_none() => {
                set.dispatch(SetPassword { code: c.as_ref().to_owned(), password: n });
            }
            _ => focus::first_invalid("set-password-form"),
        }
    };
    view! {
        <h2>{tr(|t| t.set_password_title)}</h2>
        <p class="muted">{tr(|t| t.set_password_explain)}</p>
        <Notice kind="success" message=sent/>
        <Problem error=send_failure wait/>
        <button class="button secondary" data-testid="set-password-send"
            on:click=move |_| { send.dispatch(SendSetPasswordCode {}); }
            disabled=move || { send.pending().get() || wait.get() > 0 }>
            {tr(|t| t.set_password_send)}
        </button>
        <When when=move || sent.with(Option::is_some)>
            <Problem error=failure form="set-password-form" wait/>
            <form id="set-password-form" on:submit=on_submit novalidate>
                <TextField name="set_code" label=|t| t.field_code value=code error=code_error
                    autocomplete="one-time-code" inputmode="numeric" hint=|t| t.hint_code/>
                <TextField name="set_password" label=|t| t.field_new_password kind="password" value=new
                    error=new_error autocomplete="new-password" hint=|t| t.hint_password/>
                <TextField name="set_password2" label=|t| t.field_new_password_repeat kind="password" value=new2
                    error=new2_error autocomplete="new-password"/>
                <SubmitButton label=|t| t.set_password_submit busy_label=|t| t.saving pending=set.pending()
                    blocked=Signal::derive(move || wait.get() > 0)/>
            </form>
        </When>
    }
}

/// Where a form would ask for the password of an account that has none: what to do instead.
#[component]
pub fn PasswordNeeded() -> impl IntoView {
    view! { <p class="notice notice-info" data-testid="password-needed">{tr(|t| t.set_password_needed)}</p> }
}
