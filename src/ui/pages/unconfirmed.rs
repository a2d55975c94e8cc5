//! `/unconfirmed`: where an unconfirmed account waits. It confirms with the token of an emailed
//! link (`#token=…`, or `?token=…` from older links) and offers another mail.

use crate::{
    api::confirmation::{Confirm, ResendConfirmation},
    error::AppError,
    ui::{
        components::{Notice, When},
        effect::effect,
        guard::encode_query_value,
        link_token,
        session::{AuthState, Session},
    },
};
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_location, use_navigate, use_query_map},
};

#[component]
pub fn UnconfirmedPage() -> impl IntoView {
    let session = Session::expect();
    let query = use_query_map();
    let location = use_location();
    let navigate = use_navigate();
    let confirm = ServerAction::<Confirm>::new();
    let resend = ServerAction::<ResendConfirmation>::new();
    // Seconds until another mail may be asked for, counted down in the browser.
    let wait = RwSignal::new(0u64);

    // Take the token out of the address bar first (history keeps URLs), then use it.
    effect({
        move || {
            if let Some(token) = link_token::from_url(&location.hash.get(), query.with(|q| q.get("token"))) {
                let redirect = query.with_untracked(|q| q.get("redirect"));
                let clean = match redirect {
                    Some(r) => format!("/unconfirmed?redirect={}", encode_query_value(&r)),
                    None => "/unconfirmed".to_owned(),
                };
                navigate(&clean, NavigateOptions { replace: true, ..Default::default() });
                confirm.dispatch(Confirm { token });
            }
        }
    });

    // Confirmed: the guard sees the new session and moves on to `?redirect=` (or home).
    effect(move || {
        if let Some(Ok(token)) = confirm.value().get() {
            session.log_in(&token);
        }
    });

    effect(move || match resend.value().get() {
        Some(Ok(_)) => wait.set(60),
        Some(Err(AppError::TooManyRequests { retry_after, .. })) => wait.set(retry_after),
        _ => {}
    });
    tick_down(wait);

    let name = move || match session.state() {
        AuthState::LoggedIn(info) => info.name,
        _ => String::new(),
    };
    let confirm_error = move || match confirm.value().get() {
        Some(Err(AppError::Unauthorized)) => Some("Your session has ended. Please log in again.".to_owned()),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let resend_result = move || match resend.value().get() {
        Some(Ok(message)) => Some(message),
        _ => None,
    };
    let resend_error = move || match resend.value().get() {
        Some(Err(AppError::TooManyRequests { .. })) | None | Some(Ok(_)) => None,
        Some(Err(e)) => Some(e.to_string()),
    };
    let button_label = move || match (resend.pending().get(), wait.get()) {
        (true, _) => "Sending…".to_owned(),
        (false, 0) => "Send another confirmation email".to_owned(),
        (false, secs) => format!("Send another email in {secs} s"),
    };

    view! {
        <section class="card narrow">
            <h1>"Hello, " {name} "!"</h1>
            <When when=move || confirm.pending().get()>
                <div class="notice notice-info" role="status">"Confirming your account…"</div>
            </When>
            <Notice kind="error" message=Signal::derive(confirm_error)/>
            <p class="lead">"You have not confirmed your account yet."</p>
            <p>
                "Before you can use Madblog, please confirm that this email address is yours: "
                "open the message we sent you and follow its link."
            </p>
            <p class="muted">"Nothing arrived? Check your spam folder, or ask for another email."</p>
            <Notice kind="success" message=Signal::derive(resend_result)/>
            <Notice kind="error" message=Signal::derive(resend_error)/>
            <button
                class="primary"
                data-testid="resend"
                disabled=move || { resend.pending().get() || wait.get() != 0 }
                on:click=move |_| { resend.dispatch(ResendConfirmation {}); }
            >
                {button_label}
            </button>
        </section>
    }
}

/// Counts `wait` down by one every second while it is positive (browser only).
fn tick_down(wait: RwSignal<u64>) {
    #[cfg(feature = "hydrate")]
    {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if wait.get_untracked() > 0 {
                    wait.update(|w| *w -= 1);
                }
            },
            std::time::Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = wait;
}
