//! The one small reader every settings section reads its variables through: each variable is
//! named once, with its default, and a value that doesn't parse is an error that names it (never
//! the value, which may be a secret).

use anyhow::{Context, bail};
use std::time::Duration;

/// The environment (or a map, in tests) as settings read it: unset and blank are the same.
pub struct Env<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Env<'a> {
    pub fn new(get: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self { get }
    }

    /// The value of `name`, if set.
    pub fn text(&self, name: &str) -> Option<String> {
        (self.get)(name).filter(|v| !v.trim().is_empty())
    }

    /// A positive whole number, or `default` when unset.
    ///
    /// # Errors
    /// When it is set to anything else.
    pub fn number(&self, name: &str, default: u64) -> anyhow::Result<u64> {
        match self.text(name) {
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .with_context(|| format!("{name} must be a positive whole number")),
            None => Ok(default),
        }
    }

    /// A positive whole number that fits a `u32` (a limit's allowance).
    ///
    /// # Errors
    /// As [`Env::number`], or when it is too large.
    pub fn count(&self, name: &str, default: u32) -> anyhow::Result<u32> {
        u32::try_from(self.number(name, u64::from(default))?).with_context(|| format!("{name} is too large"))
    }

    /// A duration given in whole seconds.
    ///
    /// # Errors
    /// As [`Env::number`].
    pub fn seconds(&self, name: &str, default: u64) -> anyhow::Result<Duration> {
        self.number(name, default).map(Duration::from_secs)
    }

    /// A duration given in whole days.
    ///
    /// # Errors
    /// As [`Env::number`].
    pub fn days(&self, name: &str, default: u64) -> anyhow::Result<Duration> {
        self.number(name, default).map(|days| Duration::from_secs(days * 86_400))
    }

    /// `true`/`false` (also `1`/`0`, `on`/`off`, `yes`/`no`); unset is false.
    ///
    /// # Errors
    /// For anything else.
    pub fn flag(&self, name: &str) -> anyhow::Result<bool> {
        match self.text(name).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("0" | "false" | "off" | "no") => Ok(false),
            Some("1" | "true" | "on" | "yes") => Ok(true),
            Some(_) => bail!("{name} must be true or false"),
        }
    }

    /// A comma-separated list of origins. A wildcard is refused: allowing every origin is what
    /// such a setting exists to avoid.
    ///
    /// # Errors
    /// For an entry that is not a bare origin.
    pub fn origins(&self, name: &str) -> anyhow::Result<Vec<String>> {
        self.text(name)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| {
                parse_origin(o).with_context(|| {
                    format!("{name} must be a comma-separated list of origins like https://app.example.com")
                })
            })
            .collect()
    }
}

/// `scheme://host[:port]` of a URL, if it has one.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty() && !host.contains('@'))
        .then(|| format!("{}://{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase()))
}

/// Accepts `http(s)://host[:port]` with an optional trailing slash, and nothing after it: a path or
/// query would end up in the middle of every link.
///
/// # Errors
/// For anything else.
pub fn parse_origin(url: &str) -> anyhow::Result<String> {
    let url = url.trim().trim_end_matches('/');
    let rest =
        url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).context("scheme must be http or https")?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ', '*']) {
        bail!("expected scheme://host[:port]");
    }
    Ok(url.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_url_must_be_a_bare_origin() {
        assert_eq!(parse_origin("https://blog.example.com/").unwrap(), "https://blog.example.com");
        for bad in ["blog.example.com", "https://", "https://x.org/path", "ftp://x.org", "https://evil@x.org"] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_reader_names_the_variable_it_refuses() {
        let get = |name: &str| Some(if name == "BLANK" { "  ".to_owned() } else { "nope".to_owned() });
        let env = Env::new(&get);
        assert_eq!(env.text("BLANK"), None, "blank is unset");
        assert_eq!(env.seconds("BLANK", 5).unwrap(), Duration::from_secs(5));
        for err in [
            env.number("A_NUMBER", 1).unwrap_err(),
            env.flag("A_FLAG").unwrap_err(),
            env.origins("SOME_ORIGINS").unwrap_err(),
        ] {
            let message = format!("{err:#}");
            assert!(message.starts_with("A_") || message.starts_with("SOME_"), "{message}");
            assert!(!message.contains("nope"), "the value is not repeated: {message}");
        }
    }
}
