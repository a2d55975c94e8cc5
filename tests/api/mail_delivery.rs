//! Reliability: mail survives an SMTP outage and a killed server.

use crate::helpers::{
    CLAIMED_UNSENT, PASSWORD, ServerProcess, SmtpSink, TestAppBuilder, count, pool_for, process_env, wait_for_count,
};
use std::{collections::HashSet, time::Duration};

fn distinct(recipients: Vec<String>) -> HashSet<String> {
    recipients.into_iter().collect()
}

#[tokio::test]
async fn mail_queued_while_smtp_is_down_is_delivered_once_it_is_back() {
    let mut app = TestAppBuilder::default().smtp_down().var("REGISTRATIONS_PER_IP", "1000").spawn().await;

    // 50 registrations while nothing listens on the SMTP port: all answered at once.
    let registrations = futures::stream::iter(0..50)
        .map(|i| {
            let app = &app;
            async move { app.register(&format!("down{i}"), &format!("down{i}@example.com"), PASSWORD).await.status() }
        })
        .buffer_unordered(10)
        .collect::<Vec<_>>()
        .await;
    assert!(registrations.iter().all(|s| *s == 201), "{registrations:?}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let failed_attempts: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND attempts >= 1 AND last_error IS NOT NULL",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert!(failed_attempts > 0, "the worker tried and failed while SMTP was down");
    assert!(app.smtp.mails().is_empty());

    app.smtp.start_on(0.0).await;

    let delivered = distinct(app.smtp.wait_for_mail_count(50, Duration::from_secs(60)).await);
    assert_eq!(delivered.len(), 50, "every mail arrives once SMTP is back");
    println!("smtp down then up: 50 registrations, {} distinct mails delivered", delivered.len());
}

use futures::StreamExt;

#[tokio::test]
async fn mail_claimed_by_a_killed_server_is_delivered_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    // A slow SMTP server, so mails are still in flight when the server dies.
    let sink = SmtpSink::start(dir.path().join("smtp"), 0, 1.5).await;
    let mut env = process_env(dir.path(), &sink).await;
    env.insert("MAIL_LEASE_SECONDS".into(), "3".into());
    let mut server = ServerProcess::start(&env).await;
    for i in 0..10 {
        assert_eq!(server.register(&format!("kill{i}")).await, 201);
    }
    let pool = pool_for(&env["DATABASE_URL"]).await;
    let in_flight = || count(&pool, CLAIMED_UNSENT);
    // Most of them claimed (the worker sends eight at a time), none delivered yet.
    wait_for_count(&pool, CLAIMED_UNSENT, 8, Duration::from_secs(10), "the worker never claimed the mails").await;

    server.child.start_kill().unwrap(); // SIGKILL: no graceful anything
    server.child.wait().await.unwrap();
    let claimed_at_kill = in_flight().await;
    let delivered_before = distinct(sink.recipients()).len();
    assert!(delivered_before < 10, "some mail was still in flight when the server died");

    let _restarted = ServerProcess::start(&env).await;
    let delivered = distinct(sink.wait_for_mail_count(10, Duration::from_secs(60)).await);

    assert_eq!(delivered.len(), 10, "every mail arrives after the restart");
    println!(
        "killed with {claimed_at_kill} mails claimed and unsent ({delivered_before} delivered before); after restart \
         {} distinct recipients, {} messages in all",
        delivered.len(),
        sink.mails().len()
    );
}
