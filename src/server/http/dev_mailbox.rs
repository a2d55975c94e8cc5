//! `/dev/mailbox` (development only, when no `MAIL_SERVER` is set): the mails the app "sent",
//! newest first, with their links clickable, so nobody needs a mail server to follow a link. Its
//! own words are in the request's language; each mail is in its account's. Its links are live, so
//! it answers only a client on this machine (see [`is_local`]).

use super::proxy::{forwarded_for, parse_hop};
use crate::{
    i18n::{Locale, fill},
    server::email::transport::{StoredMail, links_in},
};
use axum::{
    http::{HeaderMap, header},
    response::{Html, IntoResponse, Response},
};
use std::{net::IpAddr, path::Path};

/// Whether a request comes from this machine: its peer and the client a trusted proxy reports for
/// it must both be loopback, and so must every hop a forwarding header names. A development server
/// listening beyond loopback (`0.0.0.0`, a LAN) would otherwise hand live reset links to anyone who
/// can reach the port; a proxied request from the internet has a loopback peer when the proxy runs
/// here, so the peer alone proves nothing; and a proxy on this machine that was never named in
/// `TRUSTED_PROXIES` still says, in the header it adds, whom it relays.
pub fn is_local(peer: Option<IpAddr>, client: IpAddr, headers: &HeaderMap) -> bool {
    let loopback = |ip: IpAddr| ip.to_canonical().is_loopback();
    peer.is_some_and(loopback) && loopback(client) && forwarded_hops(headers).all(|hop| hop.is_some_and(loopback))
}

/// Every hop the forwarding headers name (`None` for one that isn't an address: `unknown`, an
/// obfuscated `_id`, garbage), whoever wrote them.
fn forwarded_hops(headers: &HeaderMap) -> impl Iterator<Item = Option<IpAddr>> + '_ {
    let values = |name| headers.get_all(name).into_iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','));
    let x_forwarded_for = values("x-forwarded-for").map(parse_hop);
    let forwarded = values("forwarded").map(|element| forwarded_for(element).and_then(parse_hop));
    x_forwarded_for.chain(forwarded)
}

/// Renders the mailbox page from the JSON files in `dir`, in `locale`.
pub async fn page(dir: &Path, locale: Locale) -> Response {
    let t = locale.mail();
    let mut mails = Vec::new();
    if let Ok(mut entries) = tokio::fs::read_dir(dir).await {
        while let Ok(Some(entry)) = entries.next_entry().await {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".json") {
                continue;
            }
            if let Ok(bytes) = tokio::fs::read(entry.path()).await
                && let Ok(mail) = serde_json::from_slice::<StoredMail>(&bytes)
            {
                mails.push((name, mail));
            }
        }
    }
    mails.sort_by(|a, b| b.0.cmp(&a.0));
    let mut body = String::new();
    for (_, mail) in mails.iter().take(200) {
        let mut text = escape(&mail.text);
        for link in links_in(&mail.text) {
            let escaped = escape(link);
            text = text.replace(&escaped, &format!(r#"<a href="{escaped}">{escaped}</a>"#));
        }
        let meta = fill(&escape(t.mailbox_meta), &[("recipient", &escape(&mail.to)), ("date", &escape(&mail.date))]);
        body.push_str(&format!(
            r#"<article class="mail"><h2>{}</h2><p class="meta">{meta}</p><pre>{}</pre></article>"#,
            escape(&mail.subject),
            text
        ));
    }
    if mails.is_empty() {
        body.push_str(&format!("<p>{}</p>", escape(t.mailbox_empty)));
    }
    let (lang, title, note) = (locale.tag(), escape(t.mailbox_title), escape(t.mailbox_note));
    // The page's one inline style, allowed by a nonce; it runs no script at all.
    let nonce = super::headers::nonce();
    let policy = super::headers::content_security_policy(None, Some(&nonce));
    let html = Html(format!(
        r#"<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{title} · Madblog</title>
<style nonce="{nonce}">body{{font-family:system-ui,sans-serif;max-width:760px;margin:2rem auto;padding:0 1rem;color:#1d2430;background:#f6f7f9}}
.mail{{background:#fff;border:1px solid #dde1e7;border-radius:10px;padding:1rem 1.25rem;margin-bottom:1rem}}
h2{{font-size:1.1rem;margin:0}} .meta{{color:#5d6675;font-size:.9rem}} pre{{white-space:pre-wrap;word-break:break-all;font:inherit}}</style>
</head><body><h1>{title}</h1><p class="meta">{note}</p>{body}</body></html>"#
    ));
    let mut response = html.into_response();
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    response
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(address: &str) -> IpAddr {
        address.parse().unwrap()
    }

    #[test]
    fn only_a_loopback_peer_with_a_loopback_client_is_local() {
        let none = HeaderMap::new();
        for address in ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"] {
            assert!(is_local(Some(ip(address)), ip(address), &none), "{address}");
        }
        // A proxy on this machine relaying someone elsewhere, a direct client elsewhere, a
        // proxy elsewhere reporting a loopback client, no peer known.
        assert!(!is_local(Some(ip("127.0.0.1")), ip("203.0.113.9"), &none));
        assert!(!is_local(Some(ip("192.0.2.2")), ip("192.0.2.2"), &none));
        assert!(!is_local(Some(ip("10.0.0.5")), ip("127.0.0.1"), &none));
        assert!(!is_local(Some(ip("::ffff:10.0.0.5")), ip("::1"), &none));
        assert!(!is_local(None, ip("127.0.0.1"), &none));
        assert!(!is_local(Some(ip("0.0.0.0")), ip("0.0.0.0"), &none));
    }

    #[test]
    fn a_request_relayed_from_elsewhere_is_not_local_even_through_an_untrusted_proxy() {
        let headers = |name: &'static str, value: &'static str| {
            let mut map = HeaderMap::new();
            map.append(name, http::HeaderValue::from_static(value));
            map
        };
        let here = Some(ip("127.0.0.1"));
        for (name, value) in [
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-for", "127.0.0.1, 203.0.113.9"),
            ("x-forwarded-for", "unknown"),
            ("forwarded", "for=\"[2001:db8::1]:4711\""),
            ("forwarded", "for=_hidden"),
        ] {
            assert!(!is_local(here, ip("127.0.0.1"), &headers(name, value)), "{name}: {value}");
        }
        for (name, value) in
            [("x-forwarded-for", "127.0.0.1"), ("x-forwarded-for", "::1"), ("forwarded", "for=127.0.0.1")]
        {
            assert!(is_local(here, ip("127.0.0.1"), &headers(name, value)), "{name}: {value}");
        }
    }
}
