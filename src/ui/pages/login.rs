//! `/login`: username or email, and password.

use crate::{
    api::account::Login,
    i18n::Msg,
    ui::{
        components::{Notice, Problem, SubmitButton, TextField, countdown},
        effect::effect,
        focus,
        guard::encode_query_value,
        locale::{Lang, tr},
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
    let lang = Lang::expect();
    let login_error = RwSignal::new(None::<Msg>);
    let password_error = RwSignal::new(None::<Msg>);
    let action = ServerAction::<Login>::new();

    let notice = move || {
        query
            .with(|q| {
                let t = lang.text();
                if q.get("registered").is_some() {
                    Some(t.login_registered)
                } else if q.get("reset").is_some() {
                    Some(t.login_reset_done)
                } else if q.get("deleted").is_some() {
                    Some(t.account_deleted)
                } else {
                    None
                }
            })
            .map(str::to_owned)
    };
    let failure = Signal::derive(move || action.value().get().and_then(Result::err));
    let wait = countdown();

    // The guard sees the new session and moves on to `?redirect=` (or home): one place navigates.
    effect(move || {
        if let Some(Ok(token)) = action.value().get() {
            session.log_in(&token);
        }
    });

    // Signing in by email goes on to the same page afterwards as signing in here would.
    let by_email = move || {
        query.with(|q| match q.get("redirect") {
            Some(r) => format!("/login/email-code?redirect={}", encode_query_value(&r)),
            None => "/login/email-code".to_owned(),
        })
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (l, p) = (login.get_untracked(), password.get_untracked());
        login_error.set(l.trim().is_empty().then_some(Msg::EnterLogin));
        password_error.set(p.is_empty().then_some(Msg::EnterPassword));
        if !l.trim().is_empty() && !p.is_empty() {
            action.dispatch(Login { login: l, password: p });
        } else {
            focus::first_invalid("login-form");
        }
    };

    view! {
        <section class="card narrow">
            <h1>{tr(|t| t.login_title)}</h1>
            <Notice kind="success" message=Signal::derive(notice)/>
            <Problem error=failure form="login-form" wait unauthorized=|t| t.login_failed/>
            <form id="login-form" on:submit=on_submit novalidate>
                <TextField name="login" label=|t| t.field_login value=login error=login_error autocomplete="username"/>
                <TextField name="password" label=|t| t.field_password kind="password" value=password error=password_error autocomplete="current-password"/>
                <SubmitButton label=|t| t.login_submit busy_label=|t| t.login_busy pending=action.pending() blocked=Signal::derive(move || wait.get() > 0)/>
            </form>
            <p class="aside"><A href=by_email>{tr(|t| t.login_by_email)}</A></p>
            <p class="aside"><A href="/reset-password-request">{tr(|t| t.login_forgot)}</A></p>
            <p class="aside">{tr(|t| t.login_new_here)} " " <A href="/register">{tr(|t| t.login_create_account)}</A></p>
        </section>
    }
}
