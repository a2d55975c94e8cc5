//! The browser's session as the UI sees it: a signal of who is logged in, drawn from the token the
//! API's store keeps (`api::token_store`), kept in step with the other tabs, and ended when the
//! server refuses the token. The server never sees this state; it checks the token on every call.

use crate::{
    api::token_store::{remove_token, store_token, stored_token},
    domain::session::SessionInfo,
};
use leptos::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthState {
    /// During server rendering and before hydration: localStorage can't be read yet, so nothing
    /// that depends on the user is drawn.
    Unknown,
    Anonymous,
    LoggedIn(SessionInfo),
}

/// The session, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    state: RwSignal<AuthState>,
    /// Set when the server refused this tab's session (it ended elsewhere): the guard then sends
    /// the reader to log in, whatever page they are on.
    ended: RwSignal<bool>,
}

impl Session {
    /// Creates the session (unknown until [`Session::load`]) and provides it to the tree.
    pub fn provide() -> Self {
        let session = Self { state: RwSignal::new(AuthState::Unknown), ended: RwSignal::new(false) };
        provide_context(session);
        // The session ended elsewhere (logged out on another device, a password reset, a revert):
        // the store has forgotten the token; the guard sends the reader to log in rather than
        // leave them on a page whose every call fails.
        crate::api::token_store::when_refused(move || {
            session.state.set(AuthState::Anonymous);
            session.ended.set(true);
        });
        session
    }

    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    pub fn state(&self) -> AuthState {
        self.state.get()
    }

    /// Whether the server refused this tab's session since the last [`Session::ended`] was
    /// answered; answering resets it.
    pub fn ended(&self) -> bool {
        let ended = self.ended.get();
        if ended {
            self.ended.set(false);
        }
        ended
    }

    /// Reads the stored token; an unreadable one is removed. An old one is kept, however old: only
    /// the server knows whether its session still lives, and the first call tells (renewing it, or
    /// refusing it, which forgets it).
    pub fn load(&self) {
        let stored = stored_token();
        let state = match stored.as_deref().map(SessionInfo::decode_unverified) {
            Some(Some(info)) => AuthState::LoggedIn(info),
            Some(None) => {
                remove_token();
                AuthState::Anonymous
            }
            None => AuthState::Anonymous,
        };
        self.state.set(state);
    }

    /// Keeps this tab in step with the others of the browser, which share its token: a login,
    /// logout or confirmation in one is seen in all (the `storage` event fires in every other tab
    /// of the origin). A rotated token changes nothing drawn, so it redraws nothing; each request
    /// reads the stored token anyway.
    pub fn follow_other_tabs(self) {
        #[cfg(feature = "hydrate")]
        {
            use std::sync::atomic::{AtomicBool, Ordering};
            use wasm_bindgen::{JsCast, closure::Closure};
            // Once per page, however often the effect that calls this runs.
            static FOLLOWING: AtomicBool = AtomicBool::new(false);
            if FOLLOWING.swap(true, Ordering::Relaxed) {
                return;
            }
            let on_storage = Closure::<dyn Fn()>::new(move || self.sync());
            if let Some(window) = web_sys::window() {
                let _ = window.add_event_listener_with_callback("storage", on_storage.as_ref().unchecked_ref());
            }
            // Listens for the page's whole life.
            on_storage.forget();
        }
    }

    /// Brings the signal in line with the stored token, if what the page draws would differ.
    #[cfg(feature = "hydrate")]
    fn sync(&self) {
        let stored = stored_token().as_deref().and_then(SessionInfo::decode_unverified);
        let same = |a: &SessionInfo, b: &SessionInfo| {
            (&a.sub, &a.sid, &a.name, a.confirmed) == (&b.sub, &b.sid, &b.name, b.confirmed)
        };
        let changed = match (self.state.get_untracked(), &stored) {
            (AuthState::LoggedIn(now), Some(new)) => !same(&now, new),
            (AuthState::Anonymous, None) => false,
            _ => true,
        };
        if changed {
            self.state.set(stored.map_or(AuthState::Anonymous, AuthState::LoggedIn));
        }
    }

    /// Keeps a token the server just issued.
    pub fn log_in(&self, token: &str) {
        match SessionInfo::decode_unverified(token) {
            Some(info) => {
                store_token(token);
                self.state.set(AuthState::LoggedIn(info));
            }
            None => self.log_out(),
        }
    }

    pub fn log_out(&self) {
        remove_token();
        self.state.set(AuthState::Anonymous);
    }

    /// Logging out as a person means it: the server ends the session (`DELETE /api/tokens`, so the
    /// token is refused wherever a copy of it is) while this tab forgets it and shows the login
    /// page at once, reachable server or not.
    pub fn end(self, navigate: impl Fn(&str, leptos_router::NavigateOptions)) {
        #[cfg(feature = "hydrate")]
        if let Some(token) = stored_token() {
            end_on_server(&token);
        }
        self.log_out();
        navigate("/login", Default::default());
    }
}

/// Sends `DELETE /api/tokens` for `token`. With `keepalive`, so it goes out even when the page is
/// left at once: the tab has already forgotten the token, so this request holds the last copy.
#[cfg(feature = "hydrate")]
fn end_on_server(token: &str) {
    let init = web_sys::RequestInit::new();
    init.set_method("DELETE");
    let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &true.into());
    if let Ok(headers) = web_sys::Headers::new() {
        let _ = headers.set("Authorization", &format!("Bearer {token}"));
        init.set_headers(&headers);
    }
    let Some(window) = web_sys::window() else { return };
    let sent = window.fetch_with_str_and_init("/api/tokens", &init);
    // Awaited only so that a failure (offline) is handled rather than reported as uncaught.
    leptos::task::spawn_local(async move {
        let _ = wasm_bindgen_futures::JsFuture::from(sent).await;
    });
}
