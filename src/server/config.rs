//! Typed settings, read once at start-up from the environment and `.env`; secrets in a type that
//! never prints.

use crate::server::{db::SqliteSync, http::proxy::TrustedProxies};
use anyhow::{Context, bail};
use std::{fmt, path::PathBuf, time::Duration};

/// A secret value: no `Display`, and `Debug` prints `[redacted]`, so it can't leak through a log
/// line, a panic message or an error chain.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

/// SMTP settings, named as in the seed (Flask-Mail) plus `MAIL_USE_TLS` for STARTTLS.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub server: Option<String>,
    pub port: u16,
    pub use_ssl: bool,
    pub use_tls: bool,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub sender: String,
    /// PEM certificates trusted for the SMTP server's TLS besides the public roots (a private CA).
    pub ca_file: Option<PathBuf>,
    /// `MAIL_ALLOW_PLAINTEXT_AUTH`: log in without TLS (a relay on this machine or a trusted
    /// network). Without it, credentials need `MAIL_USE_SSL` or `MAIL_USE_TLS`.
    pub allow_plaintext_auth: bool,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub app_env: AppEnv,
    pub secret_key: Secret,
    pub database_url: Secret,
    /// SQLite's durability per commit (`SQLITE_SYNCHRONOUS`: normal or full).
    pub sqlite_sync: SqliteSync,
    /// The public origin (scheme://host[:port], no trailing slash): every link in a mail starts here.
    pub app_url: String,
    pub mail: MailSettings,
    /// How often a session's token is rotated (`SESSION_TTL_SECONDS`, 15 minutes): a request with a
    /// token past half of this gets the next generation (see `services::session::authenticate`).
    /// An older token is still accepted while its session lives: it is not an expiry.
    pub session_ttl: Duration,
    /// How long the previous token generation is still accepted after the current one was first
    /// used (`SESSION_REUSE_GRACE_SECONDS`, 30): another tab, a request in flight. After it, the
    /// previous generation is a copy, and ends the session.
    pub session_reuse_grace: Duration,
    /// How long a session lives after its last use (`SESSION_IDLE_DAYS`, 14).
    pub session_idle: Duration,
    /// How long a session lives at most, however much it is used (`SESSION_MAX_DAYS`, 90).
    pub session_max: Duration,
    /// How long an emailed confirmation link works.
    pub confirm_ttl: Duration,
    /// How long an emailed password-reset link works.
    pub reset_ttl: Duration,
    /// When an unconfirmed account gets its one reminder (`UNCONFIRMED_REMIND_DAYS`, 3).
    pub unconfirmed_remind: Duration,
    /// When an unconfirmed account is deleted (`UNCONFIRMED_PURGE_DAYS`, 7; after the reminder).
    pub unconfirmed_purge: Duration,
    /// How often each server runs the housekeeping job (`HOUSEKEEPING_INTERVAL_SECONDS`, 600).
    pub housekeeping_every: Duration,
    /// Password-reset requests accepted per client address per 15 minutes (beyond: 429).
    pub reset_requests_per_ip: u32,
    /// Registrations allowed per client address and hour (`REGISTRATIONS_PER_IP`).
    pub registrations_per_ip: u32,
    /// Password hashes allowed per client network and hour (`PASSWORD_HASHES_PER_IP`, 300).
    pub password_hashes_per_ip: u32,
    /// Reverse proxies whose forwarded header names the client (`TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// Origins a client may name in the seed's `confirm_email_base_url` (compatibility with the
    /// original front end). Empty by default: links are then built from `APP_URL` only.
    pub link_allowed_origins: Vec<String>,
    /// Origins whose pages may call the REST API from a browser (`CORS_ALLOWED_ORIGINS`, e.g. the
    /// original Vue front end). Empty by default: no CORS at all.
    pub cors_allowed_origins: Vec<String>,
    /// The outbox worker's retry policy.
    pub mail_max_attempts: i64,
    pub mail_backoff_cap: Duration,
    pub mail_lease: Duration,
    /// How long sent mail stays in the outbox, for `madblog outbox list` (`OUTBOX_KEEP_DAYS`, 30);
    /// the housekeeping job deletes it after that. Mail given up on stays until it is retried.
    pub outbox_keep: Duration,
    /// Enables `GET /metrics` for this bearer token (`METRICS_TOKEN`; unset: no metrics endpoint).
    pub metrics_token: Option<Secret>,
    /// Where the SQLite file, the dev secret and the dev mailbox live.
    pub data_dir: PathBuf,
}

/// Secrets printed in tutorials and templates, the original Madblog's first: anyone who has read
/// them can sign a session for any account, so they are refused everywhere, development included.
const PUBLISHED_SECRETS: &[&str] =
    &["you-will-never-guess", "secret", "changeme", "change-me", "secret-key", "your-secret-key", "supersecret"];

/// The minimum length of `SECRET_KEY` in production: 256 bits of key material for HMAC-SHA256.
pub const MIN_SECRET_BYTES: usize = 32;

impl Settings {
    /// Reads `.env` (if present) and the environment.
    ///
    /// # Errors
    /// In production: a missing or short `SECRET_KEY`, or a missing `APP_URL`. Anywhere: a setting
    /// that doesn't parse. The message names the setting, never its value.
    pub fn from_env() -> anyhow::Result<Self> {
        // A missing .env is normal; a malformed one is a mistake worth stopping for.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(e).context("could not read .env"),
        }
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Builds settings from any lookup function (the environment, or a map in tests).
    ///
    /// # Errors
    /// As [`Settings::from_env`].
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let app_env = match get("APP_ENV").as_deref().map(str::trim) {
            None | Some("development") => AppEnv::Development,
            Some("production") => AppEnv::Production,
            Some(_) => bail!("APP_ENV must be `development` or `production`"),
        };
        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "data".into()));
        let production = app_env == AppEnv::Production;

        let secret_key = match get("SECRET_KEY") {
            Some(key) if PUBLISHED_SECRETS.contains(&key.trim()) => {
                bail!("SECRET_KEY is a published example value that anyone can sign tokens with: choose a random one")
            }
            Some(key) if key.len() >= MIN_SECRET_BYTES => Secret::new(key),
            Some(_) if production => {
                bail!("SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes long in production")
            }
            None if production => bail!("SECRET_KEY must be set in production"),
            Some(short) => {
                tracing::warn!("SECRET_KEY is shorter than {MIN_SECRET_BYTES} bytes: acceptable in development only");
                Secret::new(short)
            }
            None => dev_secret(&data_dir)?,
        };

        let app_url = match get("APP_URL") {
            Some(url) => parse_origin(&url).context("APP_URL must be an origin like https://blog.example.com")?,
            None if production => bail!("APP_URL must be set in production"),
            None => {
                let addr = get("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
                format!("http://{addr}")
            }
        };

        let database_url = get("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("madblog.db").display()));

        let sqlite_sync = match get("SQLITE_SYNCHRONOUS").map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("normal") => SqliteSync::Normal,
            Some("full") => SqliteSync::Full,
            Some(_) => bail!("SQLITE_SYNCHRONOUS must be `normal` or `full`"),
        };

        let mail = MailSettings {
            server: get("MAIL_SERVER"),
            port: match get("MAIL_PORT") {
                Some(p) => p.trim().parse().context("MAIL_PORT must be a port number")?,
                None => 25,
            },
            use_ssl: flag(get("MAIL_USE_SSL"), "MAIL_USE_SSL")?,
            use_tls: flag(get("MAIL_USE_TLS"), "MAIL_USE_TLS")?,
            username: get("MAIL_USERNAME"),
            password: get("MAIL_PASSWORD").map(Secret::new),
            sender: get("MAIL_SENDER").unwrap_or_else(|| "Madblog <no-reply@localhost>".into()),
            ca_file: get("MAIL_CA_FILE").map(PathBuf::from),
            allow_plaintext_auth: flag(get("MAIL_ALLOW_PLAINTEXT_AUTH"), "MAIL_ALLOW_PLAINTEXT_AUTH")?,
        };
        // Without either, STARTTLS is only used when the server offers it, and a man in the middle
        // who strips the offer from the greeting is handed the password in clear text.
        let logs_in = mail.username.is_some() || mail.password.is_some();
        if logs_in && !mail.use_ssl && !mail.use_tls && !mail.allow_plaintext_auth {
            bail!(
                "MAIL_USERNAME or MAIL_PASSWORD is set without MAIL_USE_SSL or MAIL_USE_TLS: the password could \
                 cross the network in clear text. Set MAIL_USE_SSL=true (implicit TLS, port 465) or MAIL_USE_TLS=true \
                 (STARTTLS, required), or MAIL_ALLOW_PLAINTEXT_AUTH=true for a relay on this machine"
            );
        }

        let session_ttl = seconds(get("SESSION_TTL_SECONDS"), "SESSION_TTL_SECONDS", 15 * 60)?;
        let session_reuse_grace = seconds(get("SESSION_REUSE_GRACE_SECONDS"), "SESSION_REUSE_GRACE_SECONDS", 30)?;
        let day = 24 * 3600;
        let session_idle = Duration::from_secs(positive(get("SESSION_IDLE_DAYS"), "SESSION_IDLE_DAYS", 14)? * day);
        let session_max = Duration::from_secs(positive(get("SESSION_MAX_DAYS"), "SESSION_MAX_DAYS", 90)? * day);
        let remind_days = positive(get("UNCONFIRMED_REMIND_DAYS"), "UNCONFIRMED_REMIND_DAYS", 3)?;
        let purge_days = positive(get("UNCONFIRMED_PURGE_DAYS"), "UNCONFIRMED_PURGE_DAYS", 7)?;
        if purge_days <= remind_days {
            bail!("UNCONFIRMED_PURGE_DAYS ({purge_days}) must be more than UNCONFIRMED_REMIND_DAYS ({remind_days})");
        }
        let housekeeping_every = seconds(get("HOUSEKEEPING_INTERVAL_SECONDS"), "HOUSEKEEPING_INTERVAL_SECONDS", 600)?;
        let confirm_ttl = seconds(get("CONFIRM_TTL_SECONDS"), "CONFIRM_TTL_SECONDS", 24 * 3600)?;
        let reset_ttl = seconds(get("RESET_TTL_SECONDS"), "RESET_TTL_SECONDS", 3600)?;
        let reset_requests_per_ip = u32::try_from(positive(get("RESET_REQUESTS_PER_IP"), "RESET_REQUESTS_PER_IP", 30)?)
            .context("RESET_REQUESTS_PER_IP is too large")?;
        let registrations_per_ip = u32::try_from(positive(get("REGISTRATIONS_PER_IP"), "REGISTRATIONS_PER_IP", 20)?)
            .context("REGISTRATIONS_PER_IP is too large")?;
        let password_hashes_per_ip =
            u32::try_from(positive(get("PASSWORD_HASHES_PER_IP"), "PASSWORD_HASHES_PER_IP", 300)?)
                .context("PASSWORD_HASHES_PER_IP is too large")?;
        let trusted_proxies =
            TrustedProxies::parse(&get("TRUSTED_PROXIES").unwrap_or_default(), get("TRUSTED_PROXY_HEADER").as_deref())
                .context("TRUSTED_PROXIES (or TRUSTED_PROXY_HEADER) is invalid")?;
        let link_allowed_origins = origins(get("LINK_ALLOWED_ORIGINS"), "LINK_ALLOWED_ORIGINS")?;
        let cors_allowed_origins = origins(get("CORS_ALLOWED_ORIGINS"), "CORS_ALLOWED_ORIGINS")?;
        let mail_max_attempts = positive(get("MAIL_MAX_ATTEMPTS"), "MAIL_MAX_ATTEMPTS", 20)? as i64;
        let mail_backoff_cap = seconds(get("MAIL_BACKOFF_CAP_SECONDS"), "MAIL_BACKOFF_CAP_SECONDS", 300)?;
        let mail_lease = seconds(get("MAIL_LEASE_SECONDS"), "MAIL_LEASE_SECONDS", 60)?;
        let outbox_keep = Duration::from_secs(positive(get("OUTBOX_KEEP_DAYS"), "OUTBOX_KEEP_DAYS", 30)? * day);
        let metrics_token = match get("METRICS_TOKEN") {
            Some(token) if token.trim().len() >= 16 => Some(Secret::new(token.trim())),
            Some(_) => bail!("METRICS_TOKEN must be at least 16 characters"),
            None => None,
        };

        Ok(Self {
            app_env,
            secret_key,
            database_url: Secret::new(database_url),
            sqlite_sync,
            app_url,
            mail,
            session_ttl,
            session_reuse_grace,
            session_idle,
            session_max,
            confirm_ttl,
            reset_ttl,
            unconfirmed_remind: Duration::from_secs(remind_days * day),
            unconfirmed_purge: Duration::from_secs(purge_days * day),
            housekeeping_every,
            reset_requests_per_ip,
            registrations_per_ip,
            password_hashes_per_ip,
            trusted_proxies,
            link_allowed_origins,
            cors_allowed_origins,
            mail_max_attempts,
            mail_backoff_cap,
            mail_lease,
            outbox_keep,
            metrics_token,
            data_dir,
        })
    }
}

/// A comma-separated list of origins. A wildcard is refused: allowing every origin is what this
/// setting exists to avoid.
fn origins(value: Option<String>, name: &str) -> anyhow::Result<Vec<String>> {
    value
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

/// Development only: a random secret made on first start and kept in `data/`, so sessions survive
/// a restart without anyone having to invent a key, and no default secret exists in the code.
fn dev_secret(data_dir: &std::path::Path) -> anyhow::Result<Secret> {
    use rand::RngCore;
    let path = data_dir.join("dev-secret-key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= MIN_SECRET_BYTES {
            tracing::warn!(path = %path.display(), "SECRET_KEY is not set: using the development secret kept in the data directory");
            return Ok(Secret::new(existing));
        }
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("could not create {}", data_dir.display()))?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path, &key).with_context(|| format!("could not write {}", path.display()))?;
    tracing::warn!(path = %path.display(), "SECRET_KEY is not set: generated a development secret; set SECRET_KEY in production");
    Ok(Secret::new(key))
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

fn flag(value: Option<String>, name: &str) -> anyhow::Result<bool> {
    match value.as_deref().map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("0" | "false" | "off" | "no") => Ok(false),
        Some("1" | "true" | "on" | "yes") => Ok(true),
        Some(_) => bail!("{name} must be true or false"),
    }
}

/// A positive whole number from a setting, or `default` when it is unset.
fn positive(value: Option<String>, name: &str, default: u64) -> anyhow::Result<u64> {
    match value {
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .with_context(|| format!("{name} must be a positive whole number")),
        None => Ok(default),
    }
}

fn seconds(value: Option<String>, name: &str, default: u64) -> anyhow::Result<Duration> {
    positive(value, name, default).map(Duration::from_secs)
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
fn parse_origin(url: &str) -> anyhow::Result<String> {
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
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let dir = std::env::temp_dir().join(format!("madblog-config-{}", uuid::Uuid::new_v4()));
        let mut map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        map.insert("DATA_DIR".into(), dir.display().to_string());
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn production_requires_a_long_secret_and_names_the_setting() {
        let err = settings(&[("APP_ENV", "production"), ("APP_URL", "https://x.org")]).unwrap_err();
        assert!(err.to_string().contains("SECRET_KEY"));
        let err =
            settings(&[("APP_ENV", "production"), ("APP_URL", "https://x.org"), ("SECRET_KEY", "short")]).unwrap_err();
        assert!(err.to_string().contains("SECRET_KEY"));
        assert!(!err.to_string().contains("short"), "the value must not be echoed");
    }

    #[test]
    fn production_requires_app_url() {
        let key = "k".repeat(32);
        let err = settings(&[("APP_ENV", "production"), ("SECRET_KEY", &key)]).unwrap_err();
        assert!(err.to_string().contains("APP_URL"));
        assert!(settings(&[("APP_ENV", "production"), ("SECRET_KEY", &key), ("APP_URL", "https://x.org/")]).is_ok());
    }

    #[test]
    fn development_generates_and_keeps_a_secret() {
        let dir = std::env::temp_dir().join(format!("madblog-config-{}", uuid::Uuid::new_v4()));
        let get = |k: &str| (k == "DATA_DIR").then(|| dir.display().to_string());
        let first = Settings::from_lookup(get).unwrap();
        let second = Settings::from_lookup(get).unwrap();
        assert!(first.secret_key.expose().len() >= MIN_SECRET_BYTES);
        assert_eq!(first.secret_key, second.secret_key);
        assert_eq!(first.app_url, "http://127.0.0.1:3000");
    }

    #[test]
    fn app_url_must_be_a_bare_origin() {
        assert_eq!(parse_origin("https://blog.example.com/").unwrap(), "https://blog.example.com");
        for bad in ["blog.example.com", "https://", "https://x.org/path", "ftp://x.org", "https://evil@x.org"] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn published_example_secrets_are_refused_everywhere() {
        for env in ["development", "production"] {
            let err =
                settings(&[("APP_ENV", env), ("APP_URL", "https://x.org"), ("SECRET_KEY", "you-will-never-guess")])
                    .unwrap_err();
            assert!(err.to_string().contains("published"), "{env}: {err}");
            assert!(!err.to_string().contains("you-will-never-guess"), "the message doesn't repeat it");
        }
    }

    #[test]
    fn secrets_never_print() {
        let s =
            settings(&[("SECRET_KEY", &"z".repeat(40)), ("MAIL_USE_TLS", "1"), ("MAIL_PASSWORD", "hunter2hunter2")])
                .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("zzzz") && !shown.contains("hunter2"));
    }

    #[test]
    fn bad_numbers_and_flags_name_their_setting() {
        assert!(settings(&[("MAIL_PORT", "smtp")]).unwrap_err().to_string().contains("MAIL_PORT"));
        assert!(settings(&[("MAIL_USE_SSL", "maybe")]).unwrap_err().to_string().contains("MAIL_USE_SSL"));
        assert!(settings(&[("SESSION_TTL_SECONDS", "0")]).unwrap_err().to_string().contains("SESSION_TTL_SECONDS"));
        assert!(settings(&[("OUTBOX_KEEP_DAYS", "0")]).unwrap_err().to_string().contains("OUTBOX_KEEP_DAYS"));
        let proxies = settings(&[("TRUSTED_PROXIES", "10.0.0.1,proxy.local")]).unwrap_err();
        assert!(format!("{proxies:#}").contains("TRUSTED_PROXIES") && format!("{proxies:#}").contains("proxy.local"));
    }

    #[test]
    fn a_mail_login_needs_tls_unless_plaintext_is_allowed() {
        let login = [("MAIL_SERVER", "smtp.example.com"), ("MAIL_USERNAME", "me"), ("MAIL_PASSWORD", "hunter2hunter2")];
        let err = format!("{:#}", settings(&login).unwrap_err());
        for setting in ["MAIL_USERNAME", "MAIL_USE_SSL", "MAIL_USE_TLS", "MAIL_ALLOW_PLAINTEXT_AUTH"] {
            assert!(err.contains(setting), "names {setting}: {err}");
        }
        assert!(!err.contains("hunter2"), "the message doesn't repeat the password");
        assert!(settings(&[("MAIL_PASSWORD", "hunter2hunter2")]).is_err(), "a password alone is a login too");

        for secure in [("MAIL_USE_SSL", "true"), ("MAIL_USE_TLS", "true"), ("MAIL_ALLOW_PLAINTEXT_AUTH", "true")] {
            let mail = settings(&[&login[..], &[secure]].concat()).unwrap().mail;
            assert_eq!(mail.allow_plaintext_auth, secure.0 == "MAIL_ALLOW_PLAINTEXT_AUTH", "{secure:?}");
        }
        assert!(settings(&[("MAIL_SERVER", "localhost")]).is_ok(), "no login: nothing to protect");
        let bad = settings(&[("MAIL_ALLOW_PLAINTEXT_AUTH", "sure")]).unwrap_err();
        assert!(bad.to_string().contains("MAIL_ALLOW_PLAINTEXT_AUTH"));
    }

    #[test]
    fn sent_mail_is_kept_thirty_days_unless_told_otherwise() {
        assert_eq!(settings(&[]).unwrap().outbox_keep, Duration::from_secs(30 * 86_400));
        assert_eq!(settings(&[("OUTBOX_KEEP_DAYS", "7")]).unwrap().outbox_keep, Duration::from_secs(7 * 86_400));
    }

    #[test]
    fn trusted_proxies_default_to_none() {
        assert!(settings(&[]).unwrap().trusted_proxies.is_empty());
        assert!(!settings(&[("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")]).unwrap().trusted_proxies.is_empty());
    }
}
