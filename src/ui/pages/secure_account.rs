//! `/secure-account#token=…`, the page the new-device mail's "this wasn't me" link opens (no
//! login): it ends every session, locks the password and mails a reset link, once the account's
//! address is typed and the button pressed.
//!
//! Never on load, and not on a press alone: mail scanners open every link, and some press the
//! buttons they find; none types the address. A scanner that did this would lock every account
//! whose mail it reads.

use crate::{
    api::security::SecureAccount,
    domain::EmailAddress,
    i18n::Msg,
    ui::{
        components::{Notice, Problem, SubmitButton, TextField, When, outcome},
        effect::effect,
        focus, link_token,
        locale::tr,
        session::Session,
    },
};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn SecureAccountPage() -> impl IntoView {
    let session = Session::expect();
    let token = link_token::take("/secure-account");
    let email = RwSignal::new(String::new());
    let email_error = RwSignal::new(None::<Msg>);
    let action = ServerAction::<SecureAccount>::new();
    // Every session has ended, this browser's included if it had one: forget its token now.
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
            Some(Msg::SecureEmailMissing)
        } else {
            EmailAddress::check(&typed).err().map(|e| e.msg())
        };
        email_error.set(problem);
        if problem.is_some() {
            focus::first_invalid("secure-form");
        } else if let Some(t) = token.get_untracked() {
            action.dispatch(SecureAccount { token: t, email: typed });
        }
    };
    let finished = move || done.with(Option::is_some);
    view! {
        <section class="card narrow">
            <h1>{tr(|t| t.secure_title)}</h1>
            <Notice kind="success" message=done/>
            <Problem error=failure form="secure-form"/>
            <When
                when=move || token.get().is_some() && !finished()
                fallback=move || view! {
                    <When when=move || !finished()>
                        <p>{tr(|t| t.secure_needs_link)}</p>
                    </When>
                }
            >
                <p>{tr(|t| t.secure_explain)}</p>
                <form id="secure-form" on:submit=on_submit novalidate>
                    <TextField name="account_email" label=|t| t.field_account_email kind="email" value=email
                        error=email_error autocomplete="email" hint=|t| t.hint_account_email/>
                    <SubmitButton label=|t| t.secure_submit busy_label=|t| t.saving pending=action.pending()/>
                </form>
            </When>
            <When when=finished>
                <p><A href="/login">{tr(|t| t.back_to_login)}</A></p>
            </When>
        </section>
    }
}
