//! `/reset-password-request`: "Forgot your password?" Asks for the address and always answers the
//! same way, whether or not it has an account.

use crate::{
    api::password::RequestPasswordReset,
    domain::EmailAddress,
    i18n::Msg,
    ui::{
        components::{Notice, Problem, SubmitButton, TextField, When, countdown, outcome},
        focus,
        guard::encode_query_value,
        locale::tr,
    },
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

#[component]
pub fn ResetRequestPage() -> impl IntoView {
    // Prefilled when a dead reset link sent the reader here (`?email=`).
    let email = RwSignal::new(use_query_map().with_untracked(|q| q.get("email")).unwrap_or_default());
    let local_error = RwSignal::new(None::<Msg>);
    let action = ServerAction::<RequestPasswordReset>::new();

    let email_error = Signal::derive(move || {
        local_error.get().or_else(|| match action.value().get() {
            Some(Err(e)) => e.field_message("email"),
            _ => None,
        })
    });
    let (done, failure) = outcome(action.value());
    let wait = countdown();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match EmailAddress::check(&email.get_untracked()) {
            Ok(()) => {
                local_error.set(None);
                action.dispatch(RequestPasswordReset { email: email.get_untracked() });
            }
            Err(e) => {
                local_error.set(Some(e.msg()));
                focus::first_invalid("reset-request-form");
            }
        }
    };

    view! {
        <section class="card narrow">
            <h1>{tr(|t| t.reset_request_title)}</h1>
            <Notice kind="success" message=done/>
            <Problem error=failure form="reset-request-form" wait/>
            <When when=move || done.with(Option::is_none)>
                <p class="muted">{tr(|t| t.reset_request_explain)}</p>
                <form id="reset-request-form" on:submit=on_submit novalidate>
                    <TextField name="email" label=|t| t.field_email kind="email" value=email error=email_error autocomplete="email"/>
                    <SubmitButton label=|t| t.reset_request_submit busy_label=|t| t.sending pending=action.pending() blocked=Signal::derive(move || wait.get() > 0)/>
                </form>
            </When>
            <When when=move || done.with(Option::is_some)>
                <p><A href=move || format!("/reset-password?email={}", encode_query_value(&email.get())) attr:class="button primary">
                    {tr(|t| t.reset_request_have_code)}
                </A></p>
            </When>
            <p class="aside"><A href="/login">{tr(|t| t.back_to_login)}</A></p>
        </section>
    }
}
