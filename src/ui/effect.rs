//! `effect`: leptos's `Effect::new` behind one set of types.

use leptos::prelude::Effect;

/// Runs `f` now and again whenever a signal it read changes: `Effect::new` for an effect that
/// ignores its previous value, as all of this app's do. `Effect::new` is generic over its closure,
/// so each of the thirteen effects compiled its own copy of the effect's machinery into the
/// bundle; boxed, they share one (8 KB of the bundle, 1 KB compressed).
pub fn effect(f: impl Fn() + 'static) {
    erased(Box::new(f));
}

fn erased(f: Box<dyn Fn()>) {
    Effect::new(move |_| f());
}
