//! The reader's language in the browser: one signal in context that every string on the page
//! reads, so a switch redraws the words and keeps whatever was typed.

#[cfg(feature = "hydrate")]
use crate::i18n::CHOICE_KEY;
use crate::i18n::{Catalogue, Locale, Text};
use leptos::prelude::*;

#[derive(Debug, Clone, Copy)]
pub struct Lang(RwSignal<Locale>);

impl Lang {
    /// The language the page was drawn in: on the server the request's (see `i18n::request`),
    /// in the browser the one the server wrote in `<html lang>`, so hydration sees the same words.
    pub fn provide() -> Self {
        #[cfg(feature = "ssr")]
        let initial = crate::i18n::request::current();
        #[cfg(not(feature = "ssr"))]
        let initial = rendered();
        let lang = Self(RwSignal::new(initial));
        provide_context(lang);
        lang
    }

    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    pub fn get(self) -> Locale {
        self.0.get()
    }

    /// The strings of the current language (a tracked read).
    pub fn text(self) -> &'static Catalogue {
        self.0.get().text()
    }

    /// Makes `locale` the reader's choice: now, and on later visits (localStorage for the app,
    /// the cookie so the server draws the first paint in it).
    pub fn choose(self, locale: Locale) {
        remember(locale);
        self.0.set(locale);
    }

    /// After hydration: a choice kept in localStorage wins over what the server guessed (the
    /// cookie may have been cleared while localStorage was not).
    pub fn restore(self) {
        if let Some(locale) = stored().filter(|l| *l != self.0.get_untracked()) {
            self.choose(locale);
        }
    }
}

/// A catalogue string as a view: redrawn when the language changes.
pub fn tr(text: Text) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let lang = Lang::expect();
    move || text(lang.text())
}

#[cfg(feature = "hydrate")]
fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

#[cfg(not(feature = "ssr"))]
fn rendered() -> Locale {
    #[cfg(feature = "hydrate")]
    if let Some(lang) = document().and_then(|d| d.document_element()).and_then(|e| e.get_attribute("lang")) {
        return Locale::from_tag(&lang).unwrap_or_default();
    }
    Locale::En
}

fn stored() -> Option<Locale> {
    #[cfg(feature = "hydrate")]
    {
        crate::api::token_store::storage()?.get_item(CHOICE_KEY).ok().flatten().and_then(|tag| Locale::from_tag(&tag))
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

fn remember(_locale: Locale) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(storage) = crate::api::token_store::storage() {
            let _ = storage.set_item(CHOICE_KEY, _locale.tag());
        }
        if let Some(doc) = document() {
            if let Some(root) = doc.document_element() {
                let _ = root.set_attribute("lang", _locale.tag());
            }
            // A year; Lax, since it only picks words and must come along on the first navigation
            // from a mail's link.
            let cookie = format!("{CHOICE_KEY}={}; Path=/; Max-Age=31536000; SameSite=Lax", _locale.tag());
            if let Ok(html) = doc.dyn_into::<web_sys::HtmlDocument>() {
                let _ = html.set_cookie(&cookie);
            }
        }
    }
}
