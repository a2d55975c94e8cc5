//! DKIM: with `MAIL_DKIM_*` set every mail is signed, with an RSA key (PKCS#1 or PKCS#8) or an
//! Ed25519 one, and passes the check a receiving server makes (dkimpy's, given the TXT record
//! instead of asking DNS), while a mail changed on the way fails it; `madblog mail dkim-record`
//! prints that record.

use crate::helpers::{PASSWORD, TestAppBuilder, python};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::json;
use std::{
    path::{Path, PathBuf},
    process::Command,
};

const DOMAIN: &str = "madblog.test";
const SELECTOR: &str = "s2025";

const RSA_PKCS1: &str = "genrsa -traditional 2048";
const RSA_PKCS8: &str = "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048";
const ED25519: &str = "genpkey -algorithm ed25519";

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl CLI");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A key `openssl <genkey>` makes in `dir`, and the TXT record that publishes it, worked out by
/// openssl too (not by the code under test): the SubjectPublicKeyInfo for RSA, the raw 32 bytes
/// at its end for Ed25519.
fn openssl_key(dir: &Path, genkey: &str) -> (PathBuf, String) {
    let (command, options) = genkey.split_once(' ').unwrap();
    let mut args = vec![command, "-out", "dkim.pem"];
    args.extend(options.split(' '));
    openssl(dir, &args);
    let spki = openssl(dir, &["pkey", "-in", "dkim.pem", "-pubout", "-outform", "DER"]);
    let record = if genkey.contains("ed25519") {
        format!("v=DKIM1; k=ed25519; p={}", STANDARD.encode(&spki[spki.len() - 32..]))
    } else {
        format!("v=DKIM1; k=rsa; p={}", STANDARD.encode(&spki))
    };
    (dir.join("dkim.pem"), record)
}

/// dkimpy's verdict on `message`, with `record` at `<SELECTOR>._domainkey.<DOMAIN>` and no other
/// name (so a wrong `s=` or `d=` fails too).
fn dkimpy_verifies(message: &[u8], record: &str) -> bool {
    const VERIFY: &str = r#"
import logging, sys, dkim
message, record, name = open(sys.argv[1], "rb").read(), sys.argv[2].encode(), sys.argv[3].encode()
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
def dns(asked, timeout=5):
    return record if asked == name else None
print("pass" if dkim.verify(message, logger=logging.getLogger("dkim"), dnsfunc=dns) else "fail")
"#;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), message).unwrap();
    let name = format!("{SELECTOR}._domainkey.{DOMAIN}.");
    let out = Command::new(python())
        .args(["-c", VERIFY, &file.path().display().to_string(), record, &name])
        .output()
        .expect("python with dkimpy (tests/support/requirements.txt)");
    let verdict = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && ["pass\n", "fail\n"].contains(&&*verdict),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    verdict == "pass\n"
}

/// The same message changed as someone on the way might: a header it signs, the body.
fn tampered(raw: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let text = String::from_utf8(raw.to_vec()).expect("7-bit mail");
    let (headers, body) = text.split_once("\r\n\r\n").unwrap();
    let from = "From: Madblog <no-reply@madblog.test>";
    assert!(headers.contains(from), "{headers}");
    let link = body.find("https://").or_else(|| body.find("charset=utf-8")).expect("something to change");
    let mut new_body = body.to_owned();
    new_body.replace_range(link..link + 5, "HTTPS");
    vec![
        ("the sender", text.replacen(from, "From: Madblog <security@madblog.test>", 1).into_bytes()),
        ("the subject", text.replacen("\r\nSubject: ", "\r\nSubject: Re: ", 1).into_bytes()),
        ("the body", format!("{headers}\r\n\r\n{new_body}").into_bytes()),
    ]
}

/// Registers an account from a browser reading `language`, and checks its confirmation mail as it
/// reached the SMTP server.
async fn the_mail_is_signed_with(genkey: &str, language: &str) {
    let keys = tempfile::tempdir().unwrap();
    let (key_file, record) = openssl_key(keys.path(), genkey);
    let app = TestAppBuilder::default()
        .var("MAIL_DKIM_DOMAIN", DOMAIN)
        .var("MAIL_DKIM_SELECTOR", SELECTOR)
        .var("MAIL_DKIM_KEY_FILE", key_file.display().to_string())
        .spawn()
        .await;

    let registered = app
        .client
        .post(app.url("/api/users"))
        .header("Accept-Language", language)
        .json(&json!({"username": "ann", "email": "ann@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();

    assert_eq!(registered.status(), 201);
    let mail = app.smtp.wait_for_mail_to("ann@example.com").await;
    let raw = std::fs::read(app.smtp.dir.join(mail["raw_file"].as_str().unwrap())).unwrap();
    let signature = String::from_utf8_lossy(&raw).replace("\r\n ", " ");
    let signature = signature.lines().find(|l| l.starts_with("DKIM-Signature:")).expect("a signature");
    assert!(signature.contains(&format!("d={DOMAIN}; s={SELECTOR}; c=relaxed/relaxed;")), "{signature}");
    assert!(dkimpy_verifies(&raw, &record), "the mail as sent verifies:\n{}", String::from_utf8_lossy(&raw));
    for (what, changed) in tampered(&raw) {
        assert!(!dkimpy_verifies(&changed, &record), "a mail with {what} changed fails");
    }
    let (_, other_key) = openssl_key(keys.path(), genkey);
    assert!(!dkimpy_verifies(&raw, &other_key), "and so does one checked against another key");
}

#[tokio::test]
async fn mail_is_signed_with_an_rsa_key_in_pkcs1() {
    the_mail_is_signed_with(RSA_PKCS1, "en").await;
}

#[tokio::test]
async fn mail_is_signed_with_an_rsa_key_in_pkcs8() {
    // In Chinese: an encoded subject, parts in base64 or quoted-printable.
    the_mail_is_signed_with(RSA_PKCS8, "zh-CN").await;
}

#[tokio::test]
async fn mail_is_signed_with_an_ed25519_key() {
    the_mail_is_signed_with(ED25519, "zh-CN").await;
}

async fn dkim_record(vars: &[(&str, &str)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_madblog"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("DATA_DIR", dir.path())
        .env("SECRET_KEY", "x".repeat(40))
        .envs(vars.iter().copied())
        .args(["mail", "dkim-record"])
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_dkim_record_publishes_the_key() {
    for genkey in [RSA_PKCS8, ED25519] {
        let keys = tempfile::tempdir().unwrap();
        let (key_file, record) = openssl_key(keys.path(), genkey);
        let key_file = key_file.display().to_string();
        let vars = [("MAIL_DKIM_DOMAIN", DOMAIN), ("MAIL_DKIM_SELECTOR", SELECTOR), ("MAIL_DKIM_KEY_FILE", &key_file)];

        let out = dkim_record(&vars).await;

        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let printed = String::from_utf8(out.stdout).unwrap();
        let name = format!("{SELECTOR}._domainkey.{DOMAIN}");
        assert!(printed.starts_with(&format!("name:  {name}\ntype:  TXT\nvalue: {record}\n")), "{printed}");
        let zone = printed.lines().last().unwrap();
        let strings = zone.strip_prefix(&format!("{name}. IN TXT ( ")).unwrap().strip_suffix(" )").unwrap();
        assert_eq!(strings.replace("\" \"", "").trim_matches('"'), record, "the zone file's strings join to it");
        // Nothing private in any form: no PEM, no Ed25519 seed (the last 32 bytes of its PKCS#8),
        // no line of an RSA key's PEM from within its private exponent.
        let private = if genkey == ED25519 {
            let der = openssl(keys.path(), &["pkey", "-in", "dkim.pem", "-outform", "DER"]);
            STANDARD.encode(&der[der.len() - 32..])
        } else {
            std::fs::read_to_string(&key_file).unwrap().lines().nth(8).unwrap().to_owned()
        };
        assert!(!printed.contains("PRIVATE") && !printed.contains(&private), "{printed}");
    }
}

#[tokio::test]
async fn a_partial_dkim_setting_is_refused() {
    let out = dkim_record(&[("MAIL_DKIM_DOMAIN", DOMAIN)]).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MAIL_DKIM_SELECTOR and MAIL_DKIM_KEY_FILE not set"), "{stderr}");

    let out = dkim_record(&[]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("set MAIL_DKIM_DOMAIN, MAIL_DKIM_SELECTOR"));
}
