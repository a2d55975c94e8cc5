//! A client's network: the one name every per-client limit (and anything else that groups
//! clients) keys on. An IPv4 client is its address. An IPv6 client is its /64: one subscriber gets
//! at least a /64 and can rotate through its 2⁶⁴ addresses at will, so keying on the address would
//! let it escape every limit. Tunnel brokers hand out whole /48s for free, so the /48 is a second,
//! looser key ([`ClientNetwork::site`]). What a person would call "where a device is" is looser
//! still: the /24 or /48 an address sits in ([`ClientNetwork::block`]), which a home router's new
//! address or a phone's next mast usually stays within.

use std::{
    fmt,
    net::{IpAddr, Ipv6Addr},
};

/// The network a request came from (see the module's doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientNetwork(IpAddr);

impl ClientNetwork {
    /// The network of `ip`. An IPv4 address mapped into IPv6 (`::ffff:192.0.2.1`) is that IPv4
    /// address.
    pub fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => Self(IpAddr::V6(masked(v6, 64))),
        }
    }

    /// Whether this is an IPv6 network (a /64).
    pub fn is_v6(self) -> bool {
        self.0.is_ipv6()
    }

    /// The /48 around an IPv6 network, for the looser limit on a whole site; `None` for IPv4.
    pub fn site(self) -> Option<String> {
        match self.0 {
            IpAddr::V4(_) => None,
            IpAddr::V6(v6) => Some(format!("{}/48", masked(v6, 48))),
        }
    }
}

impl ClientNetwork {
    /// The block around the client: the /24 of an IPv4 address, the /48 of an IPv6 one
    /// (`203.0.113.0/24`, `2001:db8:1::/48`). Too coarse for a limit (a whole office or carrier
    /// shares one), but the unit a device is recognised by: it survives the address changes an ISP
    /// makes overnight, and it says where a sign-in came from without naming the address.
    pub fn block(self) -> String {
        match self.0 {
            IpAddr::V4(v4) => format!("{}/24", std::net::Ipv4Addr::from(u32::from(v4) & 0xffff_ff00)),
            IpAddr::V6(v6) => format!("{}/48", masked(v6, 48)),
        }
    }
}

/// `203.0.113.7`, or `2001:db8:1:2::/64`: what limits key on and the security log shows.
impl fmt::Display for ClientNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

fn masked(ip: Ipv6Addr, prefix: u32) -> Ipv6Addr {
    let mask = u128::MAX << (128 - prefix);
    Ipv6Addr::from(u128::from(ip) & mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> ClientNetwork {
        ClientNetwork::of(s.parse().unwrap())
    }

    #[test]
    fn ipv4_clients_are_their_address() {
        assert_eq!(net("203.0.113.7").to_string(), "203.0.113.7");
        assert_ne!(net("203.0.113.7"), net("203.0.113.8"));
        assert_eq!(net("::ffff:203.0.113.7"), net("203.0.113.7"), "a mapped address is the IPv4 one");
        assert_eq!(net("203.0.113.7").site(), None);
        assert!(!net("203.0.113.7").is_v6());
    }

    #[test]
    fn ipv6_clients_are_their_64() {
        let a = net("2001:db8:1:2:aaaa:bbbb:cccc:dddd");
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
        assert_eq!(a, net("2001:db8:1:2::1"), "every address of a /64 is one client");
        assert_ne!(a, net("2001:db8:1:3::1"), "the next /64 is another client");
        assert!(a.is_v6());
    }

    #[test]
    fn blocks_are_the_24_and_the_48() {
        assert_eq!(net("203.0.113.7").block(), "203.0.113.0/24");
        assert_eq!(net("203.0.113.250").block(), net("203.0.113.7").block());
        assert_ne!(net("203.0.114.7").block(), net("203.0.113.7").block());
        assert_eq!(net("::ffff:203.0.113.7").block(), "203.0.113.0/24");
        assert_eq!(net("2001:db8:1:2::1").block(), "2001:db8:1::/48");
        assert_eq!(net("2001:db8:1:ffff::1").block(), net("2001:db8:1:2::1").block());
    }

    #[test]
    fn ipv6_sites_are_their_48() {
        assert_eq!(net("2001:db8:1:2::1").site().as_deref(), Some("2001:db8:1::/48"));
        assert_eq!(net("2001:db8:1:2::1").site(), net("2001:db8:1:ffff::1").site());
        assert_ne!(net("2001:db8:1::1").site(), net("2001:db8:2::1").site());
    }
}
