//! `/settings/account`: change the password (this tab stays logged in, every other session ends),
//! or set one on an account that has none; change the address, see the devices, log out of every
//! device, delete the account.

use super::{
    devices::DeviceList,
    email_change::ChangeEmailForm,
    set_password::{PasswordNeeded, SetPasswordForm},
};
use crate::{
    api::{
        account::DeleteAccount,
        password::{LogOutEverywhere, UpdatePassword},
    },
    domain::Password,
    error::AppError,
    i18n::Msg,
    ui::{
        components::{Notice, Problem, Profile, SubmitButton, TextField, When, countdown},
        effect::effect,
        focus,
        locale::{Lang, tr},
        session::Session,
    },
};
use leptos::prelude::*;
use leptos_router::{NavigateOptions, components::A, hooks::use_navigate};

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();
    let old = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let new2 = RwSignal::new(String::new());
    let old_error = RwSignal::new(None::<Msg>);
    let new_error = RwSignal::new(None::<Msg>);
    let new2_error = RwSignal::new(None::<Msg>);
    let lang = Lang::expect();
    let update = ServerAction::<UpdatePassword>::new();
    let logout_all = ServerAction::<LogOutEverywhere>::new();
    // One fetch of the profile for the whole page: the address, and whether there is a password.
    let profile = Profile::load();
    let password_set = RwSignal::new(false);

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
        Some(Ok(_)) => Some(lang.text().account_updated.to_owned()),
        _ => password_set.get().then(|| lang.text().password_set.to_owned()),
    };
    let failure = Signal::derive(move || update.value().get().and_then(Result::err));
    let wait = countdown();
    let logout_failure = Signal::derive(move || match logout_all.value().get() {
        Some(Err(e)) if !matches!(e, AppError::Unauthorized) => Some(e),
        _ => None,
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (o, n, n2) = (old.get_untracked(), new.get_untracked(), new2.get_untracked());
        let o_err = o.trim().is_empty().then_some(Msg::OldPasswordBlank);
        let n_err =
            Password::parse(n.clone()).err().map(|e| e.msg()).or_else(|| (n == o).then_some(Msg::NewPasswordSame));
        let n2_err = (n_err.is_none() && n != n2).then_some(Msg::PasswordsDiffer);
        let ok = o_err.is_none() && n_err.is_none() && n2_err.is_none();
        old_error.set(o_err);
        new_error.set(n_err);
        new2_error.set(n2_err);
        if ok {
            update.dispatch(UpdatePassword { old_password: o, new_password: n });
        } else {
            focus::first_invalid("password-form");
        }
    };

    view! {
        <section class="card narrow">
            <h1>{tr(|t| t.account_title)}</h1>
            <Notice kind="success" message=Signal::derive(updated)/>
            <When when=move || profile.has_password() fallback=move || view! { <SetPasswordForm profile done=password_set/> }>
                <h2>{tr(|t| t.account_change_password)}</h2>
                <Problem error=failure form="password-form" wait/>
                <form id="password-form" on:submit=on_submit novalidate>
                    <TextField name="old_password" label=|t| t.field_current_password kind="password" value=old error=old_error autocomplete="current-password"/>
                    <TextField name="new_password" label=|t| t.field_new_password kind="password" value=new error=new_error autocomplete="new-password"
                        hint=|t| t.hint_password/>
                    <TextField name="new_password2" label=|t| t.field_new_password_repeat kind="password" value=new2 error=new2_error autocomplete="new-password"/>
                    <SubmitButton label=|t| t.account_submit busy_label=|t| t.saving pending=update.pending() blocked=Signal::derive(move || wait.get() > 0)/>
                </form>
            </When>
            <hr/>
            <ChangeEmailForm profile/>
            <hr/>
            <DeviceList/>
            <p><A href="/settings/security">{tr(|t| t.account_security_link)}</A></p>
            <hr/>
            <h2>{tr(|t| t.account_sessions)}</h2>
            <p class="muted">{tr(|t| t.account_sessions_explain)}</p>
            <Problem error=logout_failure/>
            <button class="button danger" on:click=move |_| { logout_all.dispatch(LogOutEverywhere {}); } disabled=move || logout_all.pending().get()>
                {tr(|t| t.account_logout_all)}
            </button>
            <hr/>
            <DeleteAccountForm profile/>
        </section>
    }
}

/// "Delete your account": the password again, then the account is gone and this tab logged out.
#[component]
fn DeleteAccountForm(profile: Profile) -> impl IntoView {
    let session = Session::expect();
    let lang = Lang::expect();
    let navigate = use_navigate();
    let password = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<Msg>);
    let action = ServerAction::<DeleteAccount>::new();
    effect(move || {
        if let Some(Ok(_)) = action.value().get() {
            session.log_out();
            navigate("/login?deleted=1", NavigateOptions { replace: true, ..Default::default() });
        }
    });
    let password_error = Signal::derive(move || {
        local_error.get().or_else(|| match action.value().get() {
            Some(Err(e)) => e.field_message("password"),
            _ => None,
        })
    });
    let failure = Signal::derive(move || match action.value().get() {
        Some(Err(e)) if e.field_message("password").is_none() => Some(e),
        _ => None,
    });
    let wait = countdown();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = password.get_untracked();
        if typed.is_empty() {
            local_error.set(Some(Msg::EnterPassword));
            focus::first_invalid("delete-form");
        } else {
            local_error.set(None);
            action.dispatch(DeleteAccount { password: typed });
        }
    };
    view! {
        <h2>{tr(|t| t.account_delete_title)}</h2>
        <p class="muted">{tr(|t| t.account_delete_explain)}</p>
        <When when=move || profile.has_password() fallback=PasswordNeeded>
            <Problem error=failure form="delete-form" wait/>
            <form id="delete-form" class="danger-zone" on:submit=on_submit novalidate>
                <TextField name="delete_password" label=|t| t.field_password_for_delete kind="password" value=password
                    error=password_error autocomplete="current-password"/>
                <button type="submit" class="button danger" disabled=move || { action.pending().get() || wait.get() > 0 }
                    aria-busy=move || action.pending().get().to_string()>
                    {move || { let t = lang.text(); if action.pending().get() { t.deleting } else { t.account_delete_submit } }}
                </button>
            </form>
        </When>
    }
}
