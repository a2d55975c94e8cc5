//! `When`: leptos's `<Show>` behind one set of types.

use leptos::prelude::*;

/// Shows `children` while `when` is true, `fallback` otherwise: `<Show>`, with the same memoised
/// condition and markup. `<Show>` is generic over its condition and its children, so each use
/// compiled a copy of it into the bundle; through this component every use shares one (27 KB of
/// the bundle, 5 KB compressed, for eight uses).
#[component]
pub fn When(
    #[prop(into)] when: Signal<bool>,
    children: ChildrenFn,
    #[prop(optional, into)] fallback: ViewFn,
) -> impl IntoView {
    view! { <Show when=move || when.get() fallback>{children()}</Show> }
}
