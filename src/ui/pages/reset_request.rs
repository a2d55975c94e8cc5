//! `/reset-password-request`: "Forgot your password?" Asks for the address and always answers the
//! same way, whether or not it has an account.

use crate::{
    api::password::RequestPasswordReset,
    domain::EmailAddress,
    error::AppError,
    ui::components::{Notice, SubmitButton, TextField, When},
};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn ResetRequestPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<String>);
    let action = ServerAction::<RequestPasswordReset>::new();

    let email_error = Signal::derive(move || {
        local_error.get().or_else(|| match action.value().get() {
            Some(Err(e)) => e.field_message("email"),
            _ => None,
        })
    });
    let done = move || match action.value().get() {
        Some(Ok(message)) => Some(message),
        _ => None,
    };
    let failure = move || match action.value().get() {
        Some(Err(AppError::Validation(_))) | None | Some(Ok(_)) => None,
        Some(Err(e)) => Some(e.to_string()),
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match EmailAddress::check(&email.get_untracked()) {
            Ok(()) => {
                local_error.set(None);
                action.dispatch(RequestPasswordReset { email: email.get_untracked() });
            }
            Err(e) => local_error.set(Some(e.to_string())),
        }
    };

    view! {
        <section class="card narrow">
            <h1>"Forgot your password?"</h1>
            <Notice kind="success" message=Signal::derive(done)/>
            <Notice kind="error" message=Signal::derive(failure)/>
            <When when=move || done().is_none()>
                <p class="muted">"Enter the email address of your account and we'll send you a link to set a new password."</p>
                <form on:submit=on_submit novalidate>
                    <TextField name="email" label="Email" kind="email" value=email error=email_error autocomplete="email"/>
                    <SubmitButton label="Send the link" busy_label="Sending…" pending=action.pending()/>
                </form>
            </When>
            <p class="aside"><A href="/login">"Back to log in"</A></p>
        </section>
    }
}
