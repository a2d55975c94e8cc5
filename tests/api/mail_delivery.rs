//! Reliability: mail survives an SMTP outage and a killed server.

use crate::helpers::{
    CLAIMED_UNSENT, PASSWORD, ServerProcess, SmtpSink, TestAppBuilder, count, free_port, pool_for, process_env,
    test_env, wait_for_count,
};
use madblog::server::{
    config::secret::Secret,
    db::outbox::{self, NewMail},
};
use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

fn distinct(recipients: Vec<String>) -> HashSet<String> {
    recipients.into_iter().collect()
}

/// Queues a mail to each of `recipients` in one transaction, due now. No worker is woken: they
/// find them at their next poll (within a second).
async fn queue(pool: &sqlx::AnyPool, recipients: &[String]) {
    let mut tx = pool.begin().await.unwrap();
    for recipient in recipients {
        let id = uuid::Uuid::new_v4().to_string();
        let mail = NewMail {
            id: &id,
            kind: "test",
            user_id: None,
            recipient,
            subject: "A queued mail",
            body_text: "Hello",
            body_html: "<p>Hello</p>",
            now: madblog::server::clock::now(),
            requested: false,
        };
        outbox::insert(&mut *tx, &mail).await.unwrap();
    }
    tx.commit().await.unwrap();
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
    let pool = pool_for(&env["DATABASE_URL"]).await;
    // Queued together, so the worker claims them in one batch. (Ten registrations in a row took
    // longer than a send on a loaded machine: the worker took them one by one and never held eight.)
    let recipients: Vec<String> = (0..10).map(|i| format!("kill{i}@example.com")).collect();
    queue(&pool, &recipients).await;
    let in_flight = || count(&pool, CLAIMED_UNSENT);
    // All of them claimed (the worker sends eight at a time), none delivered yet.
    wait_for_count(&pool, CLAIMED_UNSENT, 8, Duration::from_secs(10), "the worker never claimed the mails").await;

    server.child.start_kill().unwrap(); // SIGKILL: no graceful anything
    server.child.wait().await.unwrap();
    let claimed_at_kill = in_flight().await;
    let delivered_before = distinct(sink.recipients()).len();
    assert!(delivered_before < 10, "some mail was still in flight when the server died");

    let _restarted = ServerProcess::start(&env).await;
    // Mail handed to SMTP but never marked sent goes again: wait for every address, not for ten
    // messages, which repeats could make up.
    let delivered = distinct(sink.wait_for_distinct_recipients(10, Duration::from_secs(60)).await);

    assert_eq!(delivered.len(), 10, "every mail arrives after the restart");
    println!(
        "killed with {claimed_at_kill} mails claimed and unsent ({delivered_before} delivered before); after restart \
         {} distinct recipients, {} messages in all",
        delivered.len(),
        sink.mails().len()
    );
}

#[tokio::test]
async fn two_servers_with_a_lease_shorter_than_their_batches_send_each_of_forty_mails_exactly_once() {
    // 1.5 s a mail, eight at a time: a batch of 32 takes 6 s, longer than the 4 s lease.
    let (times, sent) = two_servers_deliver(40, 1.5, 4).await;

    let twice: Vec<(&String, &usize)> = times.iter().filter(|(_, n)| **n > 1).collect();
    assert_eq!(times.len(), 40, "every mail arrived");
    assert!(twice.is_empty(), "each exactly once, but these came more than once: {twice:?}");
    assert_eq!(sent, 40, "and each is recorded as sent");
}

#[tokio::test]
async fn a_send_that_outlasts_the_lease_keeps_its_mail_and_the_mail_goes_once() {
    // Each send takes 5 s, more than twice the 2 s lease: only renewing the lease while the mail
    // is in flight keeps the other server from taking it.
    let (times, sent) = two_servers_deliver(3, 5.0, 2).await;

    assert_eq!(times.len(), 3, "every mail arrived");
    assert!(times.values().all(|n| *n == 1), "each exactly once: {times:?}");
    assert_eq!(sent, 3, "and each is recorded as sent");
}

/// Two servers on one database and one SMTP server taking `smtp_delay` seconds a mail, with
/// `MAIL_LEASE_SECONDS=lease`: queues `mails` mails, waits for all of them and then three more
/// leases (a duplicate would come once a lease has run out), and returns how many times each
/// recipient got its mail and how many mails the outbox records as sent.
async fn two_servers_deliver(mails: usize, smtp_delay: f64, lease: u64) -> (HashMap<String, usize>, i64) {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(dir.path().join("smtp"), 0, smtp_delay).await;
    let mut env = process_env(dir.path(), &sink).await;
    env.insert("MAIL_LEASE_SECONDS".into(), lease.to_string());
    let _first = ServerProcess::start(&env).await;
    env.insert("LEPTOS_SITE_ADDR".into(), format!("127.0.0.1:{}", free_port()));
    let _second = ServerProcess::start(&env).await;
    let pool = pool_for(&env["DATABASE_URL"]).await;

    // Queued at once, as a burst of requests would: both workers find them at their next poll.
    let recipients: Vec<String> = (0..mails).map(|i| format!("slow{i}@example.com")).collect();
    queue(&pool, &recipients).await;
    sink.wait_for_distinct_recipients(mails, Duration::from_secs(90)).await;
    tokio::time::sleep(Duration::from_secs(3 * lease)).await;

    let got = sink.recipients();
    let mut times: HashMap<String, usize> = HashMap::new();
    for recipient in got.iter().cloned() {
        *times.entry(recipient).or_default() += 1;
    }
    println!(
        "two servers, {lease} s lease, {smtp_delay} s a mail: {} messages to {} recipients",
        got.len(),
        times.len()
    );
    let sent = count(&pool, "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL").await;
    (times, sent)
}

#[tokio::test]
async fn a_worker_whose_claim_was_taken_over_can_neither_renew_nor_record_the_mail() {
    // A database with no server, so no worker claims the mail but this test.
    let dir = tempfile::tempdir().unwrap();
    let env = test_env(dir.path(), &SmtpSink::not_started(dir.path().join("smtp"), free_port())).await;
    let pool = &madblog::server::db::connect(&Secret::new(env["DATABASE_URL"].clone())).await.unwrap();
    let id = uuid::Uuid::new_v4().to_string();
    let mail = NewMail {
        id: &id,
        kind: "test",
        user_id: None,
        recipient: "held@example.com",
        subject: "Held",
        body_text: "Hello",
        body_html: "<p>Hello</p>",
        now: 100,
        requested: false,
    };
    outbox::insert(pool, &mail).await.unwrap();
    // Claimed by "old" at 100 for 10 s; claimed again by "new" at 111, once that lease ran out.
    let first = outbox::claim(pool, "old", 100, 10, 32).await.unwrap();
    let second = outbox::claim(pool, "new", 111, 10, 32).await.unwrap();
    assert_eq!((first.len(), second.len()), (1, 1), "each claim took it in turn");

    assert!(!outbox::hold(pool, &id, "old", 200).await.unwrap(), "the old claim can't renew it");
    assert!(!outbox::mark_sent(pool, &id, "old", 150).await.unwrap(), "nor mark it sent");
    assert!(!outbox::reschedule(pool, &id, "old", 150, "x").await.unwrap(), "nor reschedule it");
    let gave_up = outbox::mark_undelivered(pool, &id, "old", 150, outbox::Outcome::Failed, "x").await.unwrap();
    assert!(!gave_up, "nor give it up");
    let (leased_until, sent_at): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT leased_until, sent_at FROM outbox WHERE id = $1")
            .bind(&id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!((leased_until, sent_at), (Some(121), None), "the row is as the new claim left it");
    assert!(outbox::hold(pool, &id, "new", 130).await.unwrap(), "the new claim holds it");
    assert!(outbox::mark_sent(pool, &id, "new", 125).await.unwrap());
}
