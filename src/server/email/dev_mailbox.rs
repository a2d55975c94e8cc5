//! `/dev/mailbox` (development only, when no `MAIL_SERVER` is set): the mails the app "sent",
//! newest first, with their links clickable, so nobody needs a mail server to follow a link. Its
//! own words are in the request's language; each mail is in its account's. Its links are live, so
//! it answers only a client on this machine (see [`is_local`]).

use super::transport::{StoredMail, links_in};
use crate::i18n::{Locale, fill};
use axum::{
    http::header,
    response::{Html, IntoResponse, Response},
};
use std::{net::IpAddr, path::Path};

/// Whether a request comes from this machine: its peer and the client a trusted proxy reports for
/// it must both be loopback. A development server listening beyond loopback (`0.0.0.0`, a LAN)
/// would otherwise hand live reset links to anyone who can reach the port, and a proxied request
/// from the internet has a loopback peer when the proxy runs here, so the peer alone proves
/// nothing either.
pub fn is_local(peer: Option<IpAddr>, client: IpAddr) -> bool {
    peer.is_some_and(|peer| peer.to_canonical().is_loopback()) && client.to_canonical().is_loopback()
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
    let nonce = crate::server::headers::nonce();
    let policy = crate::server::headers::content_security_policy(None, Some(&nonce));
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
        for address in ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"] {
            assert!(is_local(Some(ip(address)), ip(address)), "{address}");
        }
        // A proxy on this machine relaying someone elsewhere, a direct client elsewhere, a
        // proxy elsewhere reporting a loopback client, no peer known.
        assert!(!is_local(Some(ip("127.0.0.1")), ip("203.0.113.9")));
        assert!(!is_local(Some(ip("192.0.2.2")), ip("192.0.2.2")));
        assert!(!is_local(Some(ip("10.0.0.5")), ip("127.0.0.1")));
        assert!(!is_local(Some(ip("::ffff:10.0.0.5")), ip("::1")));
        assert!(!is_local(None, ip("127.0.0.1")));
        assert!(!is_local(Some(ip("0.0.0.0")), ip("0.0.0.0")));
    }
}
