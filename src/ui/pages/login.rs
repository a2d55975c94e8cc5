//! `/login`: username or email, and password.

use crate::{
    api::account::Login,
    error::AppError,
    ui::{
        components::{Notice, SubmitButton, TextField},
        effect::effect,
        session::Session,
    },
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = Session::expect();
    let query = use_query_map();
    let login = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let login_error = RwSignal::new(None::<String>);
    let password_error = RwSignal::new(None::<String>);
    let action = ServerAction::<Login>::new();

    let notice = move || {
        query.with(|q| {
            if q.get("registered").is_some() {
                Some("Thanks for registering! Check your inbox for the link that confirms your account, then log in.")
            } else if q.get("reset").is_some() {
                Some("Your password has been reset. Please log in with the new one.")
            } else {
                None
            }
        })
        .map(str::to_owned)
    };
    let failure = move || match action.value().get() {
        Some(Err(AppError::Unauthorized)) => Some("Invalid username, email or password.".to_owned()),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };

    // The guard sees the new session and moves on to `?redirect=` (or home): one place navigates.
    effect(move || {
        if let Some(Ok(token)) = action.value().get() {
            session.log_in(&token);
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (l, p) = (login.get_untracked(), password.get_untracked());
        login_error.set(l.trim().is_empty().then(|| "Please enter your username or email address.".to_owned()));
        password_error.set(p.is_empty().then(|| "Please enter your password.".to_owned()));
        if !l.trim().is_empty() && !p.is_empty() {
            action.dispatch(Login { login: l, password: p });
        }
    };

    view! {
        <section class="card narrow">
            <h1>"Log in"</h1>
            <Notice kind="success" message=Signal::derive(notice)/>
            <Notice kind="error" message=Signal::derive(failure)/>
            <form on:submit=on_submit novalidate>
                <TextField name="login" label="Username or email" value=login error=login_error autocomplete="username"/>
                <TextField name="password" label="Password" kind="password" value=password error=password_error autocomplete="current-password"/>
                <SubmitButton label="Log in" busy_label="Logging in…" pending=action.pending()/>
            </form>
            <p class="aside"><A href="/reset-password-request">"Forgot your password?"</A></p>
            <p class="aside">"New to Madblog? " <A href="/register">"Create an account"</A></p>
        </section>
    }
}
