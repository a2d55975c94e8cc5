//! Moving the keyboard focus where the person has to act next, after the page has redrawn.

/// Focuses the first field of form `form_id` that is marked invalid, once the DOM shows the
/// errors just set (the redraw happens after the current task, hence the next animation frame).
pub fn first_invalid(form_id: &'static str) {
    later(format!("#{form_id} [aria-invalid=true]"));
}

/// Focuses the element with id `id` once the DOM has caught up.
pub fn element(id: &'static str) {
    later(format!("#{id}"));
}

fn later(selector: String) {
    #[cfg(feature = "hydrate")]
    leptos::prelude::request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(&selector).ok().flatten())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = selector;
}
