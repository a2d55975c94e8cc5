//! `/settings/account`: change the password (this tab stays logged in, every other session ends),
//! or log out of every device.

use crate::{
    api::password::{LogOutEverywhere, UpdatePassword},
    domain::Password,
    error::AppError,
    ui::{
        components::{Notice, SubmitButton, TextField},
        effect::effect,
        session::Session,
    },
};
use leptos::prelude::*;
use leptos_router::{NavigateOptions, hooks::use_navigate};

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();
    let old = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let new2 = RwSignal::new(String::new());
    let old_error = RwSignal::new(None::<String>);
    let new_error = RwSignal::new(None::<String>);
    let new2_error = RwSignal::new(None::<String>);
    let update = ServerAction::<UpdatePassword>::new();
    let logout_all = ServerAction::<LogOutEverywhere>::new();

    effect(move || {
        if let Some(Ok(token)) = update.value().get() {
            session.log_in(&token);
            old.set(String::new());
            new.set(String::new());
            new2.set(String::new());
        }
    });
    effect({
        let navigate = navigate.clone();
        move || {
            // Done, or the session had already ended: either way this tab is logged out now.
            if let Some(Ok(_) | Err(AppError::Unauthorized)) = logout_all.value().get() {
                session.log_out();
                navigate("/login", NavigateOptions::default());
            }
        }
    });
    effect(move || {
        if let Some(Err(AppError::Unauthorized)) = update.value().get() {
            session.log_out();
            navigate("/login?redirect=/settings/account", NavigateOptions::default());
        }
    });

    let updated = move || match update.value().get() {
        Some(Ok(_)) => Some("Your password has been updated. Every other device has been logged out.".to_owned()),
        _ => None,
    };
    let failure = move || match update.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let logout_failure = move || match logout_all.value().get() {
        Some(Err(e)) if !matches!(e, AppError::Unauthorized) => Some(e.to_string()),
        _ => None,
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (o, n, n2) = (old.get_untracked(), new.get_untracked(), new2.get_untracked());
        let o_err = o.trim().is_empty().then(|| "Please provide a valid old password.".to_owned());
        let n_err = Password::parse(n.clone())
            .err()
            .map(|e| e.to_string())
            .or_else(|| (n == o).then(|| "The new password is equal to the old password.".to_owned()));
        let n2_err = (n_err.is_none() && n != n2).then(|| "The passwords don't match.".to_owned());
        let ok = o_err.is_none() && n_err.is_none() && n2_err.is_none();
        old_error.set(o_err);
        new_error.set(n_err);
        new2_error.set(n2_err);
        if ok {
            update.dispatch(UpdatePassword { old_password: o, new_password: n });
        }
    };

    view! {
        <section class="card narrow">
            <h1>"Account settings"</h1>
            <h2>"Change your password"</h2>
            <Notice kind="success" message=Signal::derive(updated)/>
            <Notice kind="error" message=Signal::derive(failure)/>
            <form on:submit=on_submit novalidate>
                <TextField name="old_password" label="Current password" kind="password" value=old error=old_error autocomplete="current-password"/>
                <TextField name="new_password" label="New password" kind="password" value=new error=new_error autocomplete="new-password"
                    hint="At least 8 characters. Long passphrases are best."/>
                <TextField name="new_password2" label="Repeat the new password" kind="password" value=new2 error=new2_error autocomplete="new-password"/>
                <SubmitButton label="Change password" busy_label="Saving…" pending=update.pending()/>
            </form>
            <hr/>
            <h2>"Sessions"</h2>
            <p class="muted">"Lost a device, or logged in somewhere you shouldn't have? End every session, this one included."</p>
            <Notice kind="error" message=Signal::derive(logout_failure)/>
            <button class="button danger" on:click=move |_| { logout_all.dispatch(LogOutEverywhere {}); } disabled=move || logout_all.pending().get()>
                "Log out of all devices"
            </button>
        </section>
    }
}
