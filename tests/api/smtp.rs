//! The SMTP transport against a real SMTP server: pooled connections, STARTTLS, implicit TLS and
//! login, with the server's certificate signed by a CA made for the test (`MAIL_CA_FILE`).

use crate::helpers::SmtpSink;
use madblog::server::{
    config::Settings,
    db::outbox::OutboxMail,
    email::{fault::Fault, transport::Transport},
};
use serde_json::Value;
use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

const PASSWORD: &str = "s3cret-pa55word";

/// The settings the app would read, pointed at `sink`.
fn mail_settings(sink: &SmtpSink, vars: &[(&str, &str)]) -> anyhow::Result<Settings> {
    let mut map: HashMap<String, String> = HashMap::from([
        ("DATA_DIR".into(), sink.dir.parent().unwrap().display().to_string()),
        ("MAIL_SERVER".into(), "127.0.0.1".into()),
        ("MAIL_PORT".into(), sink.port.to_string()),
        ("MAIL_SENDER".into(), "Madblog <no-reply@madblog.test>".into()),
    ]);
    map.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::from_lookup(|k| map.get(k).cloned())
}

/// The SMTP transport the app would build from these settings, pointed at `sink`.
fn smtp_transport(sink: &SmtpSink, vars: &[(&str, &str)]) -> Transport {
    Transport::from_settings(&mail_settings(sink, vars).expect("settings")).expect("transport")
}

fn mail(to: &str, n: usize) -> OutboxMail {
    OutboxMail {
        id: uuid::Uuid::new_v4().to_string(),
        kind: "confirm".into(),
        recipient: to.into(),
        subject: format!("Mail {n}: grüße"),
        body_text: format!("Hello {n}\nhttps://madblog.test/confirm#token={n}\n"),
        body_html: format!("<p>Hello {n}</p>"),
        attempts: 1,
        requested: false,
    }
}

/// Each mail as sent: envelope, headers and both parts.
fn assert_intact(sent: &[OutboxMail], got: &[Value]) {
    assert_eq!(got.len(), sent.len(), "{got:?}");
    for (mail, got) in sent.iter().zip(got) {
        assert_eq!(got["rcpt_tos"][0], mail.recipient.as_str());
        assert_eq!(got["mail_from"], "no-reply@madblog.test");
        assert_eq!(got["from"], "Madblog <no-reply@madblog.test>");
        assert_eq!(got["subject"], mail.subject.as_str());
        assert_eq!(got["message_id"], format!("<{}@madblog.test>", mail.id));
        assert_eq!(got["text"].as_str().unwrap().replace("\r\n", "\n"), mail.body_text);
        assert_eq!(got["html"].as_str().unwrap().trim_end(), mail.body_html);
        assert_eq!(got["multipart"], "multipart/alternative");
    }
}

/// The client ports the sink saw: one per connection.
fn connections(mails: &[Value]) -> HashSet<u64> {
    mails.iter().map(|m| m["peer_port"].as_u64().unwrap()).collect()
}

/// A CA and a certificate it signed for 127.0.0.1 and localhost (openssl CLI).
struct TestCa {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl TestCa {
    fn new(dir: &Path) -> Self {
        let openssl = |args: &str| {
            let out = Command::new("openssl").args(args.split(' ')).current_dir(dir).output().expect("openssl CLI");
            assert!(out.status.success(), "openssl {args}: {}", String::from_utf8_lossy(&out.stderr));
        };
        let new_key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        openssl(&format!(
            "req -x509 {new_key} -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign"
        ));
        openssl(&format!("req -new {new_key} -keyout server.key -out server.csr -subj /CN=localhost"));
        let extensions = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n";
        std::fs::write(dir.join("server.ext"), extensions).unwrap();
        openssl(
            "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 2 -extfile server.ext -out server.pem",
        );
        Self { ca: dir.join("ca.pem"), cert: dir.join("server.pem"), key: dir.join("server.key") }
    }

    /// `smtp_sink.py`'s options for TLS in `mode`, with this CA's certificate.
    fn sink_options<'a>(&'a self, mode: &'a str) -> Vec<&'a str> {
        vec!["--tls", mode, "--cert", self.cert.to_str().unwrap(), "--key", self.key.to_str().unwrap()]
    }

    fn path(&self) -> &str {
        self.ca.to_str().unwrap()
    }
}

#[tokio::test]
async fn mails_in_a_row_go_intact_over_one_pooled_connection() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(dir.path().join("smtp"), 0, 0.0).await;
    let transport = smtp_transport(&sink, &[]);

    let sent: Vec<OutboxMail> = (0..5).map(|n| mail(&format!("row{n}@example.com"), n)).collect();
    let started = Instant::now();
    for mail in &sent {
        transport.send(mail).await.expect("sent");
    }
    println!("5 mails in a row over one connection: {:?}", started.elapsed());

    let got = sink.mails();
    assert_intact(&sent, &got);
    assert!(got.iter().all(|m| m["tls"].is_null()), "the sink offers no STARTTLS");
    assert_eq!(connections(&got).len(), 1, "one connection, reused: {got:?}");
}

#[tokio::test]
async fn parallel_mails_use_at_most_eight_connections() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(dir.path().join("smtp"), 0, 0.0).await;
    let transport = smtp_transport(&sink, &[]);

    let mails: Vec<OutboxMail> = (0..40).map(|n| mail(&format!("par{n}@example.com"), n)).collect();
    let results = futures::future::join_all(mails.iter().map(|m| transport.send(m))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    let got = sink.mails();
    let recipients: HashSet<&str> = got.iter().map(|m| m["rcpt_tos"][0].as_str().unwrap()).collect();
    assert_eq!((got.len(), recipients.len()), (40, 40), "each mail once");
    let used = connections(&got).len();
    assert!((2..=8).contains(&used), "in parallel, on at most 8 connections: {used}");
}

#[tokio::test]
async fn a_connection_the_server_dropped_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = SmtpSink::start(dir.path().join("smtp"), 0, 0.0).await;
    let transport = smtp_transport(&sink, &[]);
    transport.send(&mail("before@example.com", 1)).await.expect("sent");

    // The pooled connection dies with the server; the next mail must notice and reconnect.
    sink.stop().await;
    sink.start_on(0.0).await;
    transport.send(&mail("after@example.com", 2)).await.expect("sent on a new connection");

    let got = sink.mails();
    assert_eq!(got.len(), 2);
    assert_eq!(connections(&got).len(), 2);
}

#[tokio::test]
async fn a_refused_connection_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::not_started(dir.path().join("smtp"), crate::helpers::free_port());
    let login = [("MAIL_USE_TLS", "1"), ("MAIL_USERNAME", "madblog"), ("MAIL_PASSWORD", PASSWORD)];
    let error = smtp_transport(&sink, &login).send(&mail("nobody@example.com", 1)).await.unwrap_err();
    assert_eq!(error.fault, Fault::Temporary, "a relay that can't be reached: the mail waits");
    let error = error.reason;
    assert!(error.contains(&format!("could not connect to 127.0.0.1:{}", sink.port)), "{error}");
    assert!(!error.contains('\n') && !error.contains(PASSWORD), "{error}");
}

#[tokio::test]
async fn starttls_and_login_when_the_server_requires_them() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new(dir.path());
    let mut options = ca.sink_options("require-starttls");
    let auth = format!("madblog:{PASSWORD}");
    options.extend(["--auth", &auth]);
    let sink = SmtpSink::start_with(dir.path().join("smtp"), 0, 0.0, &options).await;
    let settings = [("MAIL_USE_TLS", "true"), ("MAIL_CA_FILE", ca.path()), ("MAIL_USERNAME", "madblog")];

    let transport = smtp_transport(&sink, &[settings.as_slice(), &[("MAIL_PASSWORD", PASSWORD)]].concat());
    assert_eq!(transport.describe(), format!("SMTP 127.0.0.1:{} (STARTTLS)", sink.port));
    send_three_over_one_secure_login(&transport, &sink, "secure@example.com").await;

    let wrong = smtp_transport(&sink, &[settings.as_slice(), &[("MAIL_PASSWORD", "not-the-password")]].concat());
    let error = wrong.send(&mail("secure@example.com", 9)).await.unwrap_err();
    assert_eq!(error.fault, Fault::Temporary, "a refused login is the relay's setting, not this mail's fault");
    let error = error.reason;
    assert!(error.contains("535"), "the server's refusal: {error}");
    assert!(!error.contains("not-the-password") && !error.contains('\n'), "{error}");
    assert_eq!(sink.mails().len(), 3);
}

#[tokio::test]
async fn implicit_tls_from_the_first_byte() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new(dir.path());
    let mut options = ca.sink_options("implicit");
    let auth = format!("madblog:{PASSWORD}");
    options.extend(["--auth", &auth]);
    let sink = SmtpSink::start_with(dir.path().join("smtp"), 0, 0.0, &options).await;
    let transport = smtp_transport(
        &sink,
        &[
            ("MAIL_USE_SSL", "1"),
            ("MAIL_CA_FILE", ca.path()),
            ("MAIL_USERNAME", "madblog"),
            ("MAIL_PASSWORD", PASSWORD),
        ],
    );
    assert_eq!(transport.describe(), format!("SMTP 127.0.0.1:{} (TLS)", sink.port));
    send_three_over_one_secure_login(&transport, &sink, "tls@example.com").await;
}

/// Sends three mails and checks they arrived intact, over TLS, logged in as `madblog`, on one
/// connection (logged in once).
async fn send_three_over_one_secure_login(transport: &Transport, sink: &SmtpSink, to: &str) {
    let sent: Vec<OutboxMail> = (0..3).map(|n| mail(to, n)).collect();
    for mail in &sent {
        transport.send(mail).await.expect("sent");
    }
    let got = sink.mails();
    assert_intact(&sent, &got);
    for mail in &got {
        assert!(mail["tls"].as_str().is_some_and(|v| v.starts_with("TLSv1.")), "{mail}");
        assert_eq!(mail["auth_user"], "madblog");
    }
    assert_eq!(connections(&got).len(), 1, "one connection, logged in once");
}

#[tokio::test]
async fn plain_settings_upgrade_with_starttls_when_offered() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new(dir.path());
    let sink = SmtpSink::start_with(dir.path().join("smtp"), 0, 0.0, &ca.sink_options("starttls")).await;
    let transport = smtp_transport(&sink, &[("MAIL_CA_FILE", ca.path())]);
    transport.send(&mail("upgraded@example.com", 1)).await.expect("sent");
    assert!(sink.mails()[0]["tls"].as_str().is_some(), "{:?}", sink.mails());
}

#[tokio::test]
async fn an_untrusted_certificate_or_a_missing_starttls_stops_the_mail() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new(dir.path());
    let login = [("MAIL_USERNAME", "madblog"), ("MAIL_PASSWORD", PASSWORD)];

    // Without MAIL_CA_FILE the test CA is unknown: no mail goes, whichever TLS is used.
    for (mode, setting) in [("implicit", "MAIL_USE_SSL"), ("require-starttls", "MAIL_USE_TLS")] {
        let sink = SmtpSink::start_with(dir.path().join(mode), 0, 0.0, &ca.sink_options(mode)).await;
        let error = smtp_transport(&sink, &[&[(setting, "1")], login.as_slice()].concat())
            .send(&mail("x@example.com", 1))
            .await
            .unwrap_err()
            .reason;
        assert!(error.contains("UnknownIssuer"), "{mode}: {error}");
        assert!(!error.contains(PASSWORD) && !error.contains('\n'), "{error}");
        assert!(sink.mails().is_empty());
    }

    // STARTTLS required, but this server doesn't offer it: neither the password nor the mail goes
    // in clear text.
    let plain = SmtpSink::start(dir.path().join("plain"), 0, 0.0).await;
    let error = smtp_transport(&plain, &[&[("MAIL_USE_TLS", "1")], login.as_slice()].concat())
        .send(&mail("x@example.com", 1))
        .await
        .unwrap_err();
    assert_eq!(error.fault, Fault::Temporary, "the relay's setup, retried once it is fixed");
    assert!(error.reason.contains("STARTTLS is not supported"), "{error}");
    assert!(plain.mails().is_empty());
}

#[tokio::test]
async fn a_login_without_tls_is_refused_at_start_so_a_stripped_starttls_never_sees_the_password() {
    // A man in the middle: no STARTTLS on offer, and a login taken in clear.
    let dir = tempfile::tempdir().unwrap();
    let auth = format!("madblog:{PASSWORD}");
    let stripper = SmtpSink::start_with(dir.path().join("smtp"), 0, 0.0, &["--auth", &auth, "--auth-in-clear"]).await;

    let with_password = [("MAIL_USERNAME", "madblog"), ("MAIL_PASSWORD", PASSWORD)];
    for login in [&with_password[..], &with_password[..1]] {
        let error = format!("{:#}", mail_settings(&stripper, login).expect_err("refused at start"));
        for setting in ["MAIL_USERNAME", "MAIL_USE_SSL", "MAIL_USE_TLS", "MAIL_ALLOW_PLAINTEXT_AUTH"] {
            assert!(error.contains(setting), "names {setting}: {error}");
        }
        assert!(!error.contains(PASSWORD), "{error}");
    }
    let error = mail_settings(&stripper, &[("MAIL_PASSWORD", PASSWORD)]).expect_err("a password alone too");
    assert!(error.to_string().contains("MAIL_PASSWORD"), "{error}");
    assert!(stripper.mails().is_empty());
}

#[tokio::test]
async fn a_local_relay_takes_a_login_in_clear_only_when_it_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let auth = format!("madblog:{PASSWORD}");
    let relay = SmtpSink::start_with(dir.path().join("smtp"), 0, 0.0, &["--auth", &auth, "--auth-in-clear"]).await;
    let transport = smtp_transport(
        &relay,
        &[("MAIL_ALLOW_PLAINTEXT_AUTH", "true"), ("MAIL_USERNAME", "madblog"), ("MAIL_PASSWORD", PASSWORD)],
    );

    transport.send(&mail("relayed@example.com", 1)).await.expect("sent");

    let got = relay.mails();
    assert_eq!((got.len(), &got[0]["auth_user"], &got[0]["tls"]), (1, &Value::from("madblog"), &Value::Null));
}
