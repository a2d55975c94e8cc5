//! The settings as a whole: what production requires, what development makes up, and that every
//! refusal names its variable and never its value.

use super::{Settings, secret::MIN_SECRET_BYTES};
use std::{collections::HashMap, time::Duration};

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
fn published_example_secrets_are_refused_everywhere() {
    for env in ["development", "production"] {
        let err = settings(&[("APP_ENV", env), ("APP_URL", "https://x.org"), ("SECRET_KEY", "you-will-never-guess")])
            .unwrap_err();
        assert!(err.to_string().contains("published"), "{env}: {err}");
        assert!(!err.to_string().contains("you-will-never-guess"), "the message doesn't repeat it");
    }
}

#[test]
fn secrets_never_print() {
    let s = settings(&[("SECRET_KEY", &"z".repeat(40)), ("MAIL_USE_TLS", "1"), ("MAIL_PASSWORD", "hunter2hunter2")])
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
    let purge = settings(&[("UNCONFIRMED_PURGE_DAYS", "2")]).unwrap_err().to_string();
    assert!(purge.contains("UNCONFIRMED_PURGE_DAYS") && purge.contains("UNCONFIRMED_REMIND_DAYS"), "{purge}");
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
        let relay = mail.relay.expect("MAIL_SERVER is set");
        assert_eq!(relay.allow_plaintext_auth, secure.0 == "MAIL_ALLOW_PLAINTEXT_AUTH", "{secure:?}");
    }
    assert!(settings(&[("MAIL_SERVER", "localhost")]).is_ok(), "no login: nothing to protect");
    let bad = settings(&[("MAIL_ALLOW_PLAINTEXT_AUTH", "sure")]).unwrap_err();
    assert!(bad.to_string().contains("MAIL_ALLOW_PLAINTEXT_AUTH"));
}

#[test]
fn a_fallback_relay_reads_its_own_variables() {
    let primary = [("MAIL_SERVER", "smtp.example.com"), ("MAIL_USE_TLS", "true")];
    assert!(settings(&primary).unwrap().mail.fallback.is_none(), "none unless MAIL_FALLBACK_SERVER is set");
    let fallback = [
        ("MAIL_FALLBACK_SERVER", "backup.example.net"),
        ("MAIL_FALLBACK_PORT", "465"),
        ("MAIL_FALLBACK_USE_SSL", "yes"),
        ("MAIL_FALLBACK_USERNAME", "backup"),
        ("MAIL_FALLBACK_PASSWORD", "hunter2hunter2"),
        ("MAIL_FALLBACK_CA_FILE", "/etc/madblog/backup-ca.pem"),
    ];
    let mail = settings(&[&primary[..], &fallback].concat()).unwrap().mail;
    let relay = mail.relay.unwrap();
    assert_eq!(
        (relay.server.as_str(), relay.port, relay.use_tls, relay.username),
        ("smtp.example.com", 25, true, None)
    );
    let fallback = mail.fallback.expect("a fallback");
    assert_eq!(fallback.probe_after, Duration::from_secs(30));
    let f = fallback.relay;
    assert_eq!((f.server.as_str(), f.port, f.use_ssl, f.use_tls), ("backup.example.net", 465, true, false));
    assert_eq!((f.username.as_deref(), f.password.unwrap().expose()), (Some("backup"), "hunter2hunter2"));
    assert_eq!(f.ca_file.unwrap().to_str(), Some("/etc/madblog/backup-ca.pem"));
    let probe = [("MAIL_SERVER", "a"), ("MAIL_FALLBACK_SERVER", "b"), ("MAIL_FALLBACK_PROBE_SECONDS", "5")];
    assert_eq!(settings(&probe).unwrap().mail.fallback.unwrap().probe_after, Duration::from_secs(5));
}

#[test]
fn a_fallback_login_needs_its_own_tls_unless_its_plaintext_is_allowed() {
    // The primary's TLS says nothing about the fallback's connection.
    let login = [
        ("MAIL_SERVER", "smtp.example.com"),
        ("MAIL_USE_SSL", "true"),
        ("MAIL_FALLBACK_SERVER", "backup.example.net"),
        ("MAIL_FALLBACK_PASSWORD", "hunter2hunter2"),
    ];
    let err = format!("{:#}", settings(&login).unwrap_err());
    for setting in ["MAIL_FALLBACK_PASSWORD", "MAIL_FALLBACK_USE_SSL", "MAIL_FALLBACK_ALLOW_PLAINTEXT_AUTH"] {
        assert!(err.contains(setting), "names {setting}: {err}");
    }
    assert!(!err.contains("hunter2"), "the message doesn't repeat the password");
    for secure in [("MAIL_FALLBACK_USE_TLS", "1"), ("MAIL_FALLBACK_ALLOW_PLAINTEXT_AUTH", "1")] {
        assert!(settings(&[&login[..], &[secure]].concat()).is_ok(), "{secure:?}");
    }
    let port = settings(&[("MAIL_SERVER", "a"), ("MAIL_FALLBACK_SERVER", "b"), ("MAIL_FALLBACK_PORT", "x")]);
    assert!(port.unwrap_err().to_string().contains("MAIL_FALLBACK_PORT"));
}

#[test]
fn a_fallback_half_configured_or_without_a_primary_refuses_to_start() {
    let stray = settings(&[("MAIL_SERVER", "smtp.example.com"), ("MAIL_FALLBACK_PORT", "587")]).unwrap_err();
    assert!(stray.to_string().contains("MAIL_FALLBACK_PORT") && stray.to_string().contains("MAIL_FALLBACK_SERVER"));
    let probe = settings(&[("MAIL_SERVER", "a"), ("MAIL_FALLBACK_PROBE_SECONDS", "5")]).unwrap_err();
    assert!(probe.to_string().contains("MAIL_FALLBACK_PROBE_SECONDS"), "{probe}");
    let alone = settings(&[("MAIL_FALLBACK_SERVER", "backup.example.net")]).unwrap_err();
    assert!(alone.to_string().contains("MAIL_SERVER"), "{alone}");
}

#[test]
fn sent_mail_is_kept_thirty_days_unless_told_otherwise() {
    assert_eq!(settings(&[]).unwrap().mail.keep, Duration::from_secs(30 * 86_400));
    assert_eq!(settings(&[("OUTBOX_KEEP_DAYS", "7")]).unwrap().mail.keep, Duration::from_secs(7 * 86_400));
}

#[test]
fn trusted_proxies_default_to_none() {
    assert!(settings(&[]).unwrap().http.trusted_proxies.is_empty());
    assert!(!settings(&[("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")]).unwrap().http.trusted_proxies.is_empty());
}

#[test]
fn each_section_has_its_defaults() {
    let s = settings(&[]).unwrap();
    assert_eq!((s.session.ttl, s.session.reuse_grace), (Duration::from_secs(900), Duration::from_secs(30)));
    assert_eq!((s.session.idle.as_secs() / 86_400, s.session.max.as_secs() / 86_400), (14, 90));
    assert_eq!((s.links.confirm_ttl.as_secs(), s.links.reset_ttl.as_secs()), (86_400, 3600));
    assert_eq!(
        (s.limits.reset_requests_per_ip, s.limits.registrations_per_ip, s.limits.password_hashes_per_ip),
        (30, 20, 300)
    );
    assert_eq!(
        (s.lifecycle.unconfirmed_remind.as_secs(), s.lifecycle.unconfirmed_purge.as_secs()),
        (3 * 86_400, 7 * 86_400)
    );
    assert_eq!((s.mail.max_attempts, s.mail.lease.as_secs(), s.mail.backoff_cap.as_secs()), (20, 60, 300));
    assert!(s.database.url.expose().starts_with("sqlite://"));
}
