//! The HTTP edge's settings: the reverse proxies whose forwarded header names the client, the
//! origins CORS lets call the REST API, and the token that opens `/metrics`.

use super::{env::Env, secret::Secret};
use anyhow::{Context, bail};
use ipnet::IpNet;
use std::net::IpAddr;

#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Reverse proxies whose forwarded header names the client (`TRUSTED_PROXIES`,
    /// `TRUSTED_PROXY_HEADER`); how the client is found is `http::proxy`'s.
    pub trusted_proxies: TrustedProxies,
    /// Origins whose pages may call the REST API from a browser (`CORS_ALLOWED_ORIGINS`, e.g. the
    /// original Vue front end). Empty by default: no CORS at all.
    pub cors_allowed_origins: Vec<String>,
    /// Enables `GET /metrics` for this bearer token (`METRICS_TOKEN`; unset: no metrics endpoint).
    pub metrics_token: Option<Secret>,
}

impl HttpSettings {
    /// # Errors
    /// An entry of `TRUSTED_PROXIES` that is no address or block, a header name we don't read, an
    /// origin that isn't one, or a short `METRICS_TOKEN`.
    pub fn read(env: &Env<'_>) -> anyhow::Result<Self> {
        let trusted_proxies = TrustedProxies::parse(
            &env.text("TRUSTED_PROXIES").unwrap_or_default(),
            env.text("TRUSTED_PROXY_HEADER").as_deref(),
        )
        .context("TRUSTED_PROXIES (or TRUSTED_PROXY_HEADER) is invalid")?;
        let metrics_token = match env.text("METRICS_TOKEN") {
            Some(token) if token.trim().len() >= 16 => Some(Secret::new(token.trim())),
            Some(_) => bail!("METRICS_TOKEN must be at least 16 characters"),
            None => None,
        };
        Ok(Self { trusted_proxies, cors_allowed_origins: env.origins("CORS_ALLOWED_ORIGINS")?, metrics_token })
    }
}

/// Which header the trusted proxies report the client in. Only that one is read: a proxy that
/// writes `Forwarded` passes a client's own `X-Forwarded-For` through untouched, and reading it
/// would let the client pick its address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx's `$proxy_add_x_forwarded_for`, most load
    /// balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

/// The proxies whose forwarded header is believed (`TRUSTED_PROXIES`; empty: none).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    /// Parses a comma-separated list of IP addresses and CIDR blocks, and the header name
    /// (`x-forwarded-for` or `forwarded`; default `x-forwarded-for`).
    ///
    /// # Errors
    /// For an entry that is neither an address nor a block, or another header name; the message
    /// quotes the entry (an address is no secret).
    pub fn parse(list: &str, header: Option<&str>) -> anyhow::Result<Self> {
        let nets = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let net = if entry.contains('/') {
                    entry.parse::<IpNet>().ok().map(|net| net.trunc())
                } else {
                    entry.parse::<IpAddr>().ok().map(|ip| IpNet::from(ip.to_canonical()))
                };
                net.with_context(|| format!("`{entry}` is not an IP address or CIDR block (like 10.0.0.0/8)"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let header = match header.map(|h| h.trim().to_ascii_lowercase()).as_deref() {
            None | Some("x-forwarded-for") => ForwardedHeader::XForwardedFor,
            Some("forwarded") => ForwardedHeader::Forwarded,
            Some(_) => bail!("must be `x-forwarded-for` or `forwarded`"),
        };
        Ok(Self { nets, header })
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    pub fn header(&self) -> ForwardedHeader {
        self.header
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(&ip))
    }
}
