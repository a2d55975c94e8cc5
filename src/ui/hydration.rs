//! Hydration that finishes before the app reads anything only the browser knows (the session, the
//! chosen language).
//!
//! A page whose code is a lazily loaded chunk hydrates asynchronously: hydration pauses while the
//! chunk comes (`leptos::mount::hydrate_from_async`). Effects run in that pause, and one that reads
//! the session changes what the rest of the page draws before that part is hydrated: the page no
//! longer matches what the server drew (a hydration error), and for one moment it draws for a
//! session the guard has not yet looked at (an unconfirmed account's profile on `/`). So the app
//! waits for [`done`].

use leptos::prelude::*;

/// Provided by [`hydrate`]; the server never hydrates, so it never has one.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Done(RwSignal<bool>);

/// Hydrates the page's `<body>` with `app`, chunks included, then marks hydration done.
#[cfg(feature = "hydrate")]
pub fn hydrate<V: IntoView + 'static>(app: impl FnOnce() -> V + 'static) {
    let done = RwSignal::new(false);
    // leptos's executor is set up by `hydrate_from_async` itself, so this task runs on the browser's.
    wasm_bindgen_futures::spawn_local(async move {
        let body = document().body().expect("a page has a body");
        let mounted = leptos::mount::hydrate_from_async(body, move || {
            provide_context(Done(done));
            app()
        })
        .await;
        mounted.forget();
        done.set(true);
    });
}

/// Whether the whole page is hydrated (tracked: an effect that reads it runs again when it is).
/// Never true on the server.
pub fn done() -> bool {
    use_context::<Done>().is_some_and(|Done(done)| done.get())
}
