//! Reading the token of an emailed link (confirmation, password reset) from the page's URL.

/// The token an emailed link carries: in the fragment (`#token=…`, how links are made now: it is
/// never sent to a server or in `Referer`), or in the query (`?token=…`, the seed's links).
pub fn from_url(hash: &str, query_token: Option<String>) -> Option<String> {
    let from_hash = hash.trim_start_matches('#').strip_prefix("token=").map(str::to_owned);
    from_hash.or(query_token).filter(|t| !t.is_empty())
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
