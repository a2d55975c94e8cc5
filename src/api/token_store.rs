//! What this browser keeps for the API: the session token in localStorage under `madblog-token`
//! (raw, not JSON-quoted, as the seed kept it), read afresh for every call so that every tab uses
//! the one current token. The server never sees this store; it checks the token on every call.
//! The UI (`ui::session`) draws from it and hears from it when the server refused the token.

use crate::domain::session::SessionInfo;

/// The localStorage key of the session token, as in the seed.
pub const TOKEN_KEY: &str = "madblog-token";

/// The browser's localStorage: the session token here, the language choice in `ui::locale`.
#[cfg(feature = "hydrate")]
pub fn storage() -> Option<web_sys::Storage> {
    use gloo_storage::Storage;
    Some(gloo_storage::LocalStorage::raw())
}

/// The stored token, if any.
#[cfg(feature = "hydrate")]
pub fn stored_token() -> Option<String> {
    storage()?.get_item(TOKEN_KEY).ok().flatten().filter(|t| !t.is_empty())
}

#[cfg(not(feature = "hydrate"))]
pub fn stored_token() -> Option<String> {
    None
}

pub fn store_token(_token: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(s) = storage() {
        let _ = s.set_item(TOKEN_KEY, _token);
    }
}

pub fn remove_token() {
    #[cfg(feature = "hydrate")]
    if let Some(s) = storage() {
        let _ = s.remove_item(TOKEN_KEY);
    }
}

/// Swaps in a renewed token for the same session, unless this browser has logged out (or into
/// another session) meanwhile, or already holds a newer generation: a renewal must never bring a
/// session back, nor put back a token its session has rotated past.
pub fn renewed(token: &str) {
    let stored = stored_token().as_deref().and_then(SessionInfo::decode_unverified);
    if let (Some(stored), Some(fresh)) = (stored, SessionInfo::decode_unverified(token))
        && fresh.may_replace(&stored)
    {
        store_token(token);
    }
}

// Who to tell when the server refuses the stored token: the UI's session, which registers itself
// (the store knows nothing of the UI above it).
#[cfg(feature = "hydrate")]
thread_local! {
    static ON_REFUSED: std::cell::RefCell<Option<Box<dyn Fn()>>> = const { std::cell::RefCell::new(None) };
}

/// Calls `listener` whenever the server refuses the token this browser holds (see [`refused`]).
pub fn when_refused(_listener: impl Fn() + 'static) {
    #[cfg(feature = "hydrate")]
    ON_REFUSED.with(|slot| *slot.borrow_mut() = Some(Box::new(_listener)));
}

/// The server refused `sent` (401): forget it, if it is still the token this browser holds (not
/// one a newer login stored meanwhile), and tell the UI.
pub fn refused(sent: &str) {
    if stored_token().as_deref() == Some(sent) {
        remove_token();
        #[cfg(feature = "hydrate")]
        ON_REFUSED.with(|slot| {
            if let Some(listener) = slot.borrow().as_ref() {
                listener();
            }
        });
    }
}
