//! Madblog's account system: registration, email confirmation, password reset and change, as one
//! Leptos app. `domain`, `error`, `i18n`, `api`, `ui` and `app` compile for both the server and the
//! browser; `server` only for the server (`ssr`).

pub mod api;
pub mod app;
pub mod domain;
pub mod error;
pub mod i18n;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;

/// The browser entry point, called by the generated JS once the WASM bundle loads.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Not `hydrate_body`: a page whose code is a lazily loaded chunk hydrates once it has come.
    ui::hydration::hydrate(app::App);
}
