//! The `madblog` command line: its help and its errors, the seed's "flask shell" mail test
//! (`send-test-email`) and the operators' queue commands.

use crate::helpers::{SmtpSink, free_port};
use std::time::Duration;

async fn send_test_email(port: u16, to: &str, extra: &[(&str, &str)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_madblog"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("DATA_DIR", dir.path())
        .env("SECRET_KEY", "x".repeat(40))
        .env("MAIL_SERVER", "127.0.0.1")
        .env("MAIL_PORT", port.to_string())
        .env("MAIL_SENDER", "Madblog <no-reply@madblog.test>")
        .envs(extra.iter().copied())
        .args(["send-test-email", "--to", to])
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn send_test_email_delivers_one_mail_now() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(dir.path().join("smtp"), 0, 0.0).await;

    let out = send_test_email(sink.port, "tester@example.com", &[]).await;

    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mail = sink.wait_for_mails_to("tester@example.com", 1, Duration::from_secs(10)).await;
    assert_eq!(mail[0]["subject"], "[Madblog] Test email");
    assert_eq!(mail[0]["text"].as_str().unwrap().lines().next(), Some("testing"));
}

#[tokio::test]
async fn send_test_email_explains_a_failure_without_leaking_the_password() {
    let out = send_test_email(
        free_port(),
        "tester@example.com",
        &[("MAIL_USE_TLS", "true"), ("MAIL_USERNAME", "me@example.com"), ("MAIL_PASSWORD", "s3cret-auth-code")],
    )
    .await;

    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("hint: check MAIL_SERVER and MAIL_PORT"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stderr.contains("s3cret") && !stdout.contains("s3cret"));
}

#[tokio::test]
async fn send_test_email_needs_a_valid_address() {
    let out = send_test_email(free_port(), "not-an-address", &[]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to: Please provide a valid email address."));
}

/// Runs `madblog <args>` with no settings at all: what it says must not need any.
async fn bare(args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_madblog"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .args(args)
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn help_lists_every_command() {
    let out = bare(&["--help"]).await;

    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for command in ["serve", "send-test-email", "hash-timing", "mail", "outbox", "catalogue"] {
        assert!(help.lines().any(|l| l.trim_start().starts_with(command)), "{command} missing: {help}");
    }
}

#[tokio::test]
async fn each_command_has_its_own_help() {
    let out = bare(&["mail", "--help"]).await;
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for command in ["queue", "retry", "purge-sent", "bounce", "suppressions", "unsuppress"] {
        assert!(help.lines().any(|l| l.trim_start().starts_with(command)), "{command} missing: {help}");
    }

    let out = bare(&["mail", "purge-sent", "--help"]).await;
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--older-than <AGE>") && help.contains("30d"), "{help}");

    let out = bare(&["help", "send-test-email"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--to <ADDRESS>"));
}

#[tokio::test]
async fn a_wrong_command_or_argument_is_refused_with_exit_code_2() {
    for (args, says) in [
        (&["mial", "queue"][..], "unrecognized subcommand 'mial'"),
        (&["mail", "purge-sent", "--older-then", "30d"], "unexpected argument '--older-then'"),
        (&["mail", "purge-sent", "--older-than", "soon"], "invalid value 'soon' for '--older-than <AGE>'"),
        (&["mail", "retry", "nope"], "not a mail id"),
        (&["mail", "retry"], "<ID|--failed>"),
        (&["send-test-email"], "--to <ADDRESS>"),
    ] {
        let out = bare(args).await;

        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(stderr.contains("--help"), "points to the help: {stderr}");
    }
    // A near miss gets a suggestion.
    let out = bare(&["mail", "unsupress", "a@example.com"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("tip:") && stderr.contains("'unsuppress'"), "{stderr}");
}

/// Runs `madblog outbox <args>` on the test app's database.
async fn outbox_command(app: &crate::helpers::TestApp, args: &[&str]) -> (bool, String) {
    madblog_on(app, &[&["outbox"], args].concat()).await
}

/// Runs `madblog <args>` on the test app's database.
async fn madblog_on(app: &crate::helpers::TestApp, args: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_madblog"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("DATA_DIR", dir.path())
        .env("SECRET_KEY", "x".repeat(40))
        .env("DATABASE_URL", app.state.settings.database.url.expose())
        .args(args)
        .output()
        .await
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[tokio::test]
async fn operators_list_retry_and_purge_the_outbox() {
    use crate::helpers::{PASSWORD, TestAppBuilder, count, wait_for_count};
    let mut app = TestAppBuilder::default().smtp_down().var("MAIL_MAX_ATTEMPTS", "1").spawn().await;
    app.register("gaveup", "gaveup@example.com", PASSWORD).await;
    let pool = app.state.pool.clone();
    let given_up = "SELECT COUNT(*) FROM outbox WHERE failed_at IS NOT NULL";
    wait_for_count(&pool, given_up, 1, Duration::from_secs(20), "the mail was never given up").await;

    let (ok, listing) = outbox_command(&app, &["list"]).await;
    assert!(ok, "{listing}");
    assert!(listing.contains("failed") && listing.contains("g***@example.com"), "{listing}");
    assert!(!listing.contains("gaveup@example.com"), "recipients are masked: {listing}");
    let (ok, same) = madblog_on(&app, &["mail", "queue"]).await;
    assert!(ok && same.contains("failed") && same.contains("g***@example.com"), "{same}");

    app.smtp.start_on(0.0).await;
    let (ok, said) = outbox_command(&app, &["retry", "--failed"]).await;
    assert!(ok && said.contains("requeued 1"), "{said}");
    app.smtp.wait_for_mails_to("gaveup@example.com", 1, Duration::from_secs(20)).await;
    let (ok, said) = outbox_command(&app, &["retry", &uuid::Uuid::new_v4().to_string()]).await;
    assert!(!ok && said.contains("no given-up mail"), "{said}");

    let (ok, said) = outbox_command(&app, &["purge-sent", "--older-than", "30d"]).await;
    assert!(ok && said.contains("deleted 0"), "{said}");
    sqlx::query("UPDATE outbox SET sent_at = sent_at - 31 * 86400").execute(&pool).await.unwrap();
    let (ok, said) = outbox_command(&app, &["purge-sent", "--older-than=30d"]).await;
    assert!(ok && said.contains("deleted 1"), "{said}");
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM outbox").await, 0);

    let (ok, said) = outbox_command(&app, &["purge-sent", "--older-than", "soon"]).await;
    assert!(!ok && said.contains("--older-than"), "{said}");
}
