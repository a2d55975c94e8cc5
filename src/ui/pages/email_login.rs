//! `/login/email-code`: signing in with a code mailed to the address. The browser keeps the flow's
//! secret in localStorage (a link opened from a mail client lands in a new tab, where
//! sessionStorage would be empty) and shows the number another device asks for; it signs in with
//! the code typed here, or by polling once a second until another device approved.

use crate::{
    api::email_login::{AskEmailLogin, PollEmailLogin, VerifyEmailLogin},
    domain::{Code, EmailAddress, EmailLoginStarted, FlowState},
    error::AppError,
    i18n::Msg,
    ui::{
        components::{Problem, SubmitButton, TextField, When},
        effect::effect,
        focus, hydration,
        locale::tr,
        session::Session,
    },
};
use leptos::prelude::*;

/// The localStorage key of the flow this browser asked for: `<handle>.<flow>.<number>`.
#[cfg(feature = "hydrate")]
const FLOW_KEY: &str = "madblog-email-login";

/// A flow this browser asked for, as kept for its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct StoredFlow {
    pub handle: String,
    pub flow: String,
    pub number: String,
}

/// The flow this browser keeps, if any.
#[cfg(feature = "hydrate")]
pub(super) fn stored_flow() -> Option<StoredFlow> {
    let value = crate::api::token_store::storage()?.get_item(FLOW_KEY).ok().flatten()?;
    let mut parts = value.split('.');
    let (handle, flow, number) = (parts.next()?, parts.next()?, parts.next()?);
    Some(StoredFlow { handle: handle.to_owned(), flow: flow.to_owned(), number: number.to_owned() })
}

/// The server keeps no flow: it draws the page as for a browser that has none.
#[cfg(not(feature = "hydrate"))]
pub(super) fn stored_flow() -> Option<StoredFlow> {
    None
}

fn keep_flow(_started: &EmailLoginStarted) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = crate::api::token_store::storage() {
        let _ = storage.set_item(FLOW_KEY, &format!("{}.{}.{}", _started.handle, _started.flow, _started.number));
    }
}

/// Forgets the flow: it ended, or this browser signed in with it.
pub(super) fn forget_flow() {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = crate::api::token_store::storage() {
        let _ = storage.remove_item(FLOW_KEY);
    }
}

#[component]
pub fn EmailCodePage() -> impl IntoView {
    let flow = RwSignal::new(None::<StoredFlow>);
    let ended = RwSignal::new(false);
    // A flow this browser asked for already (a reload, another tab) goes on where it was.
    effect(move || {
        if hydration::done() {
            flow.set(untrack(stored_flow));
        }
    });
    view! {
        <section class="card narrow">
            <h1>{tr(|t| t.email_login_title)}</h1>
            <When when=move || ended.get()>
                <div class="notice notice-error" role="alert">{tr(|t| t.email_login_ended)}</div>
            </When>
            <When when=move || flow.with(Option::is_some) fallback=move || view! { <Ask flow ended/> }>
                <WaitForCode flow ended/>
            </When>
        </section>
    }
}

/// The address to mail a code to.
#[component]
fn Ask(flow: RwSignal<Option<StoredFlow>>, ended: RwSignal<bool>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let email_error = RwSignal::new(None::<Msg>);
    let action = ServerAction::<AskEmailLogin>::new();
    effect(move || {
        if let Some(Ok(started)) = action.value().get() {
            keep_flow(&started);
            ended.set(false);
            flow.set(Some(StoredFlow { handle: started.handle, flow: started.flow, number: started.number }));
        }
    });
    let failure = Signal::derive(move || match action.value().get() {
        Some(Err(e)) if e.field_message("email").is_none() => Some(e),
        _ => None,
    });
    let field_error = Signal::derive(move || {
        email_error.get().or_else(|| action.value().get().and_then(|r| r.err()).and_then(|e| e.field_message("email")))
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match EmailAddress::parse(&email.get_untracked()) {
            Ok(_) => {
                email_error.set(None);
                action.dispatch(AskEmailLogin { email: email.get_untracked() });
            }
            Err(e) => {
                email_error.set(Some(e.msg()));
                focus::first_invalid("email-login-form");
            }
        }
    };
    view! {
        <p>{tr(|t| t.email_login_explain)}</p>
        <Problem error=failure form="email-login-form"/>
        <form id="email-login-form" on:submit=on_submit novalidate>
            <TextField name="email" label=|t| t.field_email kind="email" value=email error=field_error autocomplete="email"/>
            <SubmitButton label=|t| t.email_login_submit busy_label=|t| t.sending pending=action.pending()/>
        </form>
    }
}

/// The number to type on another device, the code form, and the poll for an approval.
#[component]
fn WaitForCode(flow: RwSignal<Option<StoredFlow>>, ended: RwSignal<bool>) -> impl IntoView {
    let session = Session::expect();
    let code = RwSignal::new(String::new());
    let code_error = RwSignal::new(None::<Msg>);
    let by_number = RwSignal::new(true);
    let verify = ServerAction::<VerifyEmailLogin>::new();
    let poll = ServerAction::<PollEmailLogin>::new();
    let end = move || {
        forget_flow();
        flow.set(None);
        ended.set(true);
    };
    // Signed in here, with the code: the guard sees the session and moves on.
    effect(move || match verify.value().get() {
        Some(Ok(token)) => {
            forget_flow();
            session.log_in(&token);
        }
        Some(Err(AppError::BadRequest(Msg::EmailLoginEnded))) => end(),
        _ => {}
    });
    effect(move || match poll.value().get() {
        Some(Ok(FlowState::SignedIn { token })) => {
            forget_flow();
            session.log_in(&token);
        }
        // Another tab finished: its session is in this browser's storage.
        Some(Ok(FlowState::Done)) => {
            forget_flow();
            session.load();
        }
        Some(Ok(FlowState::Pending { by_number: open })) => by_number.set(open),
        Some(Err(AppError::BadRequest(Msg::EmailLoginEnded))) => end(),
        _ => {}
    });
    // Once a second while this page shows the flow: an approval signs in within two.
    #[cfg(feature = "hydrate")]
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if let Some(stored) = flow.get_untracked()
                && !poll.pending().get_untracked()
            {
                poll.dispatch(PollEmailLogin { flow: stored.flow });
            }
        },
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || handle.clear());
    }
    let failure = Signal::derive(move || match verify.value().get() {
        Some(Err(e)) if e.field_message("code").is_none() => Some(e),
        _ => None,
    });
    let field_error = Signal::derive(move || {
        code_error.get().or_else(|| verify.value().get().and_then(|r| r.err()).and_then(|e| e.field_message("code")))
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match (Code::parse(&code.get_untracked()), flow.get_untracked()) {
            (Ok(parsed), Some(stored)) => {
                code_error.set(None);
                verify.dispatch(VerifyEmailLogin { flow: stored.flow, code: parsed.as_ref().to_owned() });
            }
            (Err(msg), _) => {
                code_error.set(Some(msg));
                focus::first_invalid("email-code-form");
            }
            _ => {}
        }
    };
    let number = move || flow.with(|f| f.as_ref().map(|f| f.number.clone()).unwrap_or_default());
    view! {
        <div class="notice notice-info" role="status">{tr(|t| t.email_login_waiting)}</div>
        <p>{tr(|t| t.email_login_code_lead)}</p>
        <Problem error=failure form="email-code-form"/>
        <form id="email-code-form" on:submit=on_submit novalidate>
            <TextField name="code" label=|t| t.field_code value=code error=field_error autocomplete="one-time-code"
                inputmode="numeric" hint=|t| t.hint_code/>
            <SubmitButton label=|t| t.email_login_code_submit busy_label=|t| t.email_login_signing_in
                pending=verify.pending()/>
        </form>
        <hr/>
        <When when=move || by_number.get() fallback=|| view! { <p>{tr(|t| t.email_login_code_only)}</p> }>
            <p class="lead">{tr(|t| t.email_login_number)}</p>
            <p class="number" data-testid="email-login-number">{number}</p>
            <p class="muted">{tr(|t| t.email_login_number_explain)}</p>
        </When>
        <p class="aside">
            <button class="link" on:click=move |_| { forget_flow(); flow.set(None); }>{tr(|t| t.email_login_start_over)}</button>
        </p>
    }
}
