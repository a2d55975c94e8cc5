//! The language of the request being answered, on the server: the reader's explicit choice (the
//! `madblog-lang` cookie the switcher writes), else `Accept-Language`, else English. Worked out once
//! per request (by the HTTP edge's `http::locale::negotiate`) and read from here by pages, server
//! functions and error answers alike, so the shared error type needs nothing of the server.

use super::{CHOICE_KEY, Locale};
use axum::http::{HeaderMap, header, request::Parts};

tokio::task_local! {
    static CURRENT: Locale;
}

/// The language a request asks for. The cookie carries no authority (it only picks the words),
/// so trusting it is safe; an unknown value in it is ignored, not an error.
pub fn of_headers(headers: &HeaderMap) -> Locale {
    chosen(headers)
        .or_else(|| headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Locale::negotiate))
        .unwrap_or_default()
}

fn chosen(headers: &HeaderMap) -> Option<Locale> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == CHOICE_KEY)
        .and_then(|(_, value)| Locale::from_tag(value.trim()))
}

/// Runs `work` (the rest of a request) with `locale` as its language.
pub async fn scope<F: std::future::Future>(locale: Locale, work: F) -> F::Output {
    CURRENT.scope(locale, work).await
}

/// The language of the request being answered: English outside of one.
pub fn current() -> Locale {
    if let Some(locale) = leptos::prelude::use_context::<Parts>().and_then(|p| p.extensions.get::<Locale>().copied()) {
        return locale;
    }
    CURRENT.try_with(|l| *l).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_cookie_beats_accept_language_which_beats_english() {
        let zh_header = (header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9");
        assert_eq!(of_headers(&headers(std::slice::from_ref(&zh_header))), Locale::ZhCn);
        assert_eq!(of_headers(&headers(&[zh_header.clone(), (header::COOKIE, "a=1; madblog-lang=en")])), Locale::En);
        assert_eq!(of_headers(&headers(&[(header::COOKIE, "madblog-lang=zh-CN")])), Locale::ZhCn);
        assert_eq!(of_headers(&headers(&[])), Locale::En);
    }

    #[test]
    fn a_cookie_naming_no_language_of_ours_is_ignored() {
        let h = headers(&[(header::COOKIE, "madblog-lang=fr"), (header::ACCEPT_LANGUAGE, "zh")]);
        assert_eq!(of_headers(&h), Locale::ZhCn);
        let h = headers(&[(header::COOKIE, "xmadblog-lang=zh-CN; other")]);
        assert_eq!(of_headers(&h), Locale::En);
    }
}
