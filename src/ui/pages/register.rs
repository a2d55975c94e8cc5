//! `/register`: username, email and password, checked in the browser by the same rules the server
//! runs (`parse`, and for the address `EmailAddress::check`), then by the server.

use crate::{
    api::account::Register,
    domain::{EmailAddress, Password, Username},
    i18n::Msg,
    ui::{
        components::{Problem, SubmitButton, TextField, countdown},
        effect::effect,
        focus,
        locale::tr,
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
    let local = RwSignal::new(Vec::<(&'static str, Msg)>::new());
    let action = ServerAction::<Register>::new();

    let field_error = move |field: &'static str| {
        Signal::derive(move || {
            local.with(|m| m.iter().find(|(f, _)| *f == field).map(|(_, message)| *message)).or_else(|| {
                match action.value().get() {
                    Some(Err(e)) => e.field_message(field),
                    _ => None,
                }
            })
        })
    };
    let failure = Signal::derive(move || action.value().get().and_then(Result::err));
    let wait = countdown();

    // The server's field errors (a taken name, a common password) get the focus as ours do.
    effect(move || {
        if let Some(Err(crate::error::AppError::Validation(_))) = action.value().get() {
            focus::first_invalid("register-form");
        }
    });
    effect(move || {
        if let Some(Ok(_)) = action.value().get() {
            navigate("/login?registered=1", NavigateOptions::default());
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut errors = Vec::new();
        if let Err(e) = Username::parse(&username.get_untracked()) {
            errors.push(("username", e.msg()));
        }
        if let Err(e) = EmailAddress::check(&email.get_untracked()) {
            errors.push(("email", e.msg()));
        }
        if let Err(e) = Password::parse(password.get_untracked()) {
            errors.push(("password", e.msg()));
        } else if password.get_untracked() != password2.get_untracked() {
            errors.push(("password2", Msg::PasswordsDiffer));
        }
        let ok = errors.is_empty();
        local.set(errors);
        if !ok {
            focus::first_invalid("register-form");
        }
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
            <h1>{tr(|t| t.register_title)}</h1>
            <Problem error=failure form="register-form" wait/>
            <form id="register-form" on:submit=on_submit novalidate>
                <TextField name="username" label=|t| t.field_username value=username error=field_error("username") autocomplete="username"
                    hint=|t| t.hint_username/>
                <TextField name="email" label=|t| t.field_email kind="email" value=email error=field_error("email") autocomplete="email"
                    hint=|t| t.hint_email/>
                <TextField name="password" label=|t| t.field_password kind="password" value=password error=field_error("password") autocomplete="new-password"
                    hint=|t| t.hint_password/>
                <TextField name="password2" label=|t| t.field_password_repeat kind="password" value=password2 error=field_error("password2") autocomplete="new-password"/>
                <SubmitButton label=|t| t.register_submit busy_label=|t| t.register_busy pending=action.pending() blocked=Signal::derive(move || wait.get() > 0)/>
            </form>
            <p class="aside">{tr(|t| t.register_have_account)} " " <A href="/login">{tr(|t| t.nav_login)}</A></p>
        </section>
    }
}
