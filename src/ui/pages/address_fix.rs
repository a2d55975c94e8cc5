//! The part of `/unconfirmed` that says where the confirmation went, so a mistyped address is
//! seen, and corrects it: the account moves to the new address at once (the old one was never
//! proven) and the confirmation goes there.

use crate::{
    api::email_change::RequestEmailChange,
    domain::EmailAddress,
    i18n::{Msg, fill},
    ui::{
        components::{BounceBanner, Notice, Problem, Profile, SubmitButton, TextField, When, outcome},
        effect::effect,
        focus,
        locale::{Lang, tr},
    },
};
use leptos::prelude::*;

/// `wait` is the page's resend countdown: a correction sends a confirmation, so the next resend
/// waits as after any other.
#[component]
pub fn CorrectAddress(wait: RwSignal<u64>) -> impl IntoView {
    let lang = Lang::expect();
    let profile = Profile::load();
    let open = RwSignal::new(false);
    let new_email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let email_error = RwSignal::new(None::<Msg>);
    let password_error = RwSignal::new(None::<Msg>);
    let action = ServerAction::<RequestEmailChange>::new();
    effect(move || match action.value().get() {
        Some(Ok(_)) => {
            open.set(false);
            new_email.set(String::new());
            password.set(String::new());
            profile.reload();
            wait.set(60);
        }
        Some(Err(e)) => {
            email_error.set(e.field_message("new_email"));
            password_error.set(e.field_message("password"));
        }
        None => {}
    });
    let (done, failure) = outcome(action.value());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (email, pass) = (new_email.get_untracked(), password.get_untracked());
        let e_err = EmailAddress::parse(&email).err().map(|e| e.msg());
        let p_err = pass.is_empty().then_some(Msg::EnterPassword);
        email_error.set(e_err);
        password_error.set(p_err);
        if e_err.is_none() && p_err.is_none() {
            action.dispatch(RequestEmailChange { password: pass, new_email: email });
        } else {
            focus::first_invalid("fix-form");
        }
    };
    let show_form = move |_| {
        open.set(true);
        focus::element("new_email");
    };
    view! {
        <BounceBanner profile/>
        {move || profile.email().map(|email| view! {
            <p data-testid="sent-to">{fill(lang.text().unconfirmed_sent_to, &[("email", &email)])}</p>
        })}
        <Notice kind="success" message=done/>
        <When when=move || !open.get()>
            <button class="link" data-testid="wrong-address" on:click=show_form>
                {tr(|t| t.unconfirmed_wrong_address)}
            </button>
        </When>
        <When when=open>
            <h2>{tr(|t| t.unconfirmed_fix_title)}</h2>
            <Problem error=failure form="fix-form"/>
            <form id="fix-form" on:submit=on_submit novalidate>
                <TextField name="new_email" label=|t| t.field_new_email kind="email" value=new_email
                    error=email_error autocomplete="email" hint=|t| t.hint_corrected_email/>
                <TextField name="email_password" label=|t| t.field_password_for_email kind="password"
                    value=password error=password_error autocomplete="current-password"/>
                <SubmitButton label=|t| t.unconfirmed_fix_submit busy_label=|t| t.sending
                    pending=action.pending()/>
            </form>
        </When>
    }
}
