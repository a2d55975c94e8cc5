//! `/register`: username, email and password, checked in the browser by the same rules the server
//! runs (`parse`, and for the address `EmailAddress::check`), then by the server.

use crate::{
    api::account::Register,
    domain::{EmailAddress, Password, Username},
    error::AppError,
    ui::{
        components::{Notice, SubmitButton, TextField},
        effect::effect,
    },
};
use leptos::prelude::*;
use leptos_router::{NavigateOptions, components::A, hooks::use_navigate};

#[component]
pub fn RegisterPage() -> impl IntoView {
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let password2 = RwSignal::new(String::new());
    // Client-side messages, replaced by the server's when it answers. At most one per field, so a
    // list of pairs does; a map here added 4 KB (1 KB compressed) of its own code to the bundle.
    let local = RwSignal::new(Vec::<(&'static str, String)>::new());
    let action = ServerAction::<Register>::new();

    let field_error = move |field: &'static str| {
        Signal::derive(move || {
            local.with(|m| m.iter().find(|(f, _)| *f == field).map(|(_, message)| message.clone())).or_else(|| {
                match action.value().get() {
                    Some(Err(e)) => e.field_message(field),
                    _ => None,
                }
            })
        })
    };
    let failure = move || match action.value().get() {
        Some(Err(AppError::Validation(_))) | None | Some(Ok(_)) => None,
        Some(Err(e)) => Some(e.to_string()),
    };

    effect(move || {
        if let Some(Ok(_)) = action.value().get() {
            navigate("/login?registered=1", NavigateOptions::default());
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut errors = Vec::new();
        if let Err(e) = Username::parse(&username.get_untracked()) {
            errors.push(("username", e.to_string()));
        }
        if let Err(e) = EmailAddress::check(&email.get_untracked()) {
            errors.push(("email", e.to_string()));
        }
        if let Err(e) = Password::parse(password.get_untracked()) {
            errors.push(("password", e.to_string()));
        } else if password.get_untracked() != password2.get_untracked() {
            errors.push(("password2", "The passwords don't match.".to_owned()));
        }
        let ok = errors.is_empty();
        local.set(errors);
        if ok {
            action.dispatch(Register {
                username: username.get_untracked(),
                email: email.get_untracked(),
                password: password.get_untracked(),
            });
        }
    };

    view! {
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <Notice kind="error" message=Signal::derive(failure)/>
            <form on:submit=on_submit novalidate>
                <TextField name="username" label="Username" value=username error=field_error("username") autocomplete="username"
                    hint="3 to 32 letters, digits, '.', '_' or '-'."/>
                <TextField name="email" label="Email" kind="email" value=email error=field_error("email") autocomplete="email"
                    hint="We'll send a link to confirm it."/>
                <TextField name="password" label="Password" kind="password" value=password error=field_error("password") autocomplete="new-password"
                    hint="At least 8 characters. Long passphrases are best."/>
                <TextField name="password2" label="Repeat the password" kind="password" value=password2 error=field_error("password2") autocomplete="new-password"/>
                <SubmitButton label="Create account" busy_label="Creating your account…" pending=action.pending()/>
            </form>
            <p class="aside">"Already have an account? " <A href="/login">"Log in"</A></p>
        </section>
    }
}
