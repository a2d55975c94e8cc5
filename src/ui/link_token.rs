//! Reading the token of an emailed link (confirmation, password reset, an address change's,
//! securing the account) from the page's URL.

use super::effect::effect;
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_location, use_navigate, use_query_map},
};

/// The token an emailed link carries: in the fragment (`#token=…`, how links are made now: it is
/// never sent to a server or in `Referer`), or in the query (`?token=…`, the seed's links).
pub fn from_url(hash: &str, query_token: Option<String>) -> Option<String> {
    let from_hash = hash.trim_start_matches('#').strip_prefix("token=").map(str::to_owned);
    from_hash.or(query_token).filter(|t| !t.is_empty())
}

/// The token of the link the page at `path` was opened with, taken out of the address bar at once
/// (history keeps URLs) and kept in memory.
pub fn take(path: &'static str) -> RwSignal<Option<String>> {
    let location = use_location();
    let query = use_query_map();
    let navigate = use_navigate();
    let token = RwSignal::new(None::<String>);
    effect(move || {
        if let Some(t) = from_url(&location.hash.get(), query.with(|q| q.get("token"))) {
            token.set(Some(t));
            navigate(path, NavigateOptions { replace: true, ..Default::default() });
        }
    });
    token
}

#[cfg(test)]
mod tests {
    use super::from_url;

    #[test]
    fn reads_the_fragment_first_then_the_query() {
        assert_eq!(from_url("#token=a.b.c", Some("q".into())), Some("a.b.c".into()));
        assert_eq!(from_url("", Some("q".into())), Some("q".into()));
        assert_eq!(from_url("#other=1", None), None);
        assert_eq!(from_url("#token=", Some(String::new())), None);
    }
}
