//! Who the client is when the app runs behind reverse proxies (`TRUSTED_PROXIES`, the one forwarded
//! header those proxies write; read by `config::http`). A request whose peer is not a trusted proxy
//! is its peer, whatever headers it sends, so no client can choose its own address.

use crate::server::config::http::{ForwardedHeader, TrustedProxies};
use http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

impl TrustedProxies {
    /// The client behind a request from `peer`: the peer itself unless it is a trusted proxy;
    /// then the right-most address in the forwarded header that is not itself a trusted proxy
    /// (entries further left were written by the client and prove nothing).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut nearest = peer.to_canonical();
        if !self.trusts(nearest) {
            return nearest;
        }
        let name = match self.header() {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        };
        // Several header lines form one list, in order.
        let hops: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        for hop in hops.iter().rev() {
            let parsed = match self.header() {
                ForwardedHeader::XForwardedFor => parse_hop(hop),
                ForwardedHeader::Forwarded => forwarded_for(hop).and_then(parse_hop),
            };
            match parsed.map(|ip| ip.to_canonical()) {
                Some(ip) if self.trusts(ip) => nearest = ip,
                Some(ip) => return ip,
                // A hop our own proxy can't have written ("unknown", garbage): the nearest address
                // we can vouch for is the proxy that passed it on.
                None => return nearest,
            }
        }
        nearest
    }
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]:4711`, optionally quoted.
pub(crate) fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
}

/// The `for=` value of one RFC 7239 element (`for=192.0.2.60;proto=http;by=203.0.113.43`).
pub(crate) fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim().eq_ignore_ascii_case("for").then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(name: &'static str, values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(name, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_it_sends() {
        let none = TrustedProxies::default();
        let spoof = headers("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(none.client(ip("198.51.100.7"), &spoof), ip("198.51.100.7"));
    }

    #[test]
    fn a_request_not_from_a_trusted_proxy_keeps_its_peer_address() {
        let proxies = TrustedProxies::parse("10.0.0.0/8", None).unwrap();
        let spoof = headers("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(proxies.client(ip("198.51.100.7"), &spoof), ip("198.51.100.7"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.1, 10.1.0.0/16", None).unwrap();
        // The client claimed 1.1.1.1; nginx appended the real peer; a second proxy appended nginx.
        let chain = headers("x-forwarded-for", &["1.1.1.1, 198.51.100.7", "10.1.2.3"]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &chain), ip("198.51.100.7"));
    }

    #[test]
    fn hops_may_carry_ports_brackets_and_mapped_addresses() {
        let proxies = TrustedProxies::parse("127.0.0.1", None).unwrap();
        for (hop, want) in [
            ("198.51.100.7:4711", "198.51.100.7"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("2001:db8::1", "2001:db8::1"),
            ("::ffff:198.51.100.7", "198.51.100.7"),
        ] {
            assert_eq!(proxies.client(ip("127.0.0.1"), &headers("x-forwarded-for", &[hop])), ip(want), "{hop}");
        }
        assert_eq!(
            proxies.client(ip("::ffff:127.0.0.1"), &headers("x-forwarded-for", &["192.0.2.5"])),
            ip("192.0.2.5")
        );
    }

    #[test]
    fn garbage_or_a_missing_header_leaves_the_nearest_trusted_address() {
        let proxies = TrustedProxies::parse("127.0.0.1", None).unwrap();
        assert_eq!(proxies.client(ip("127.0.0.1"), &HeaderMap::new()), ip("127.0.0.1"));
        assert_eq!(proxies.client(ip("127.0.0.1"), &headers("x-forwarded-for", &["unknown"])), ip("127.0.0.1"));
        assert_eq!(proxies.client(ip("127.0.0.1"), &headers("x-forwarded-for", &["127.0.0.1"])), ip("127.0.0.1"));
    }

    #[test]
    fn the_forwarded_header_is_read_only_when_chosen() {
        let proxies = TrustedProxies::parse("127.0.0.1", Some("Forwarded")).unwrap();
        let both = {
            let mut h = headers("forwarded", &[r#"for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711""#]);
            h.append("x-forwarded-for", HeaderValue::from_static("203.0.113.9"));
            h
        };
        assert_eq!(proxies.client(ip("127.0.0.1"), &both), ip("2001:db8:cafe::17"));
        let only_xff = headers("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &only_xff), ip("127.0.0.1"), "a client's own X-Forwarded-For");
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &headers("forwarded", &["for=_hidden"])),
            ip("127.0.0.1"),
            "an obfuscated identifier"
        );
    }

    #[test]
    fn bad_settings_are_refused_with_the_entry_named() {
        let err = TrustedProxies::parse("10.0.0.1, nginx", None).unwrap_err();
        assert!(err.to_string().contains("nginx"));
        assert!(TrustedProxies::parse("10.0.0.0/33", None).is_err());
        assert!(TrustedProxies::parse("", Some("x-real-ip")).is_err());
        assert!(TrustedProxies::parse(" , ", None).unwrap().is_empty());
    }
}
