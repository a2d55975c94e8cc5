//! Running as deployed, on one server: client addresses behind a trusted proxy, limits held in
//! the database, readiness, clean stops, start-up races and database URLs.

use crate::helpers::{
    CLAIMED_UNSENT, PASSWORD, ServerProcess, SmtpSink, TestAppBuilder, count, free_port, pool_for, process_env,
    spawn_app, test_env, wait_for_count,
};
use futures::StreamExt;
use madblog::server::config::secret::Secret;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

async fn reset_request(app: &crate::helpers::TestApp, forwarded_for: Option<&str>) -> StatusCode {
    let mut request = app.client.post(app.url("/api/reset-password-request")).json(&json!({"email": "x@example.com"}));
    if let Some(address) = forwarded_for {
        request = request.header("X-Forwarded-For", address);
    }
    request.send().await.unwrap().status()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance() {
    let app =
        TestAppBuilder::default().var("TRUSTED_PROXIES", "127.0.0.1").var("RESET_REQUESTS_PER_IP", "2").spawn().await;

    for _ in 0..2 {
        assert_eq!(reset_request(&app, Some("198.51.100.1")).await, StatusCode::OK);
    }
    assert_eq!(reset_request(&app, Some("198.51.100.1")).await, StatusCode::TOO_MANY_REQUESTS);
    // A client further left in the chain is what the client wrote itself: the right-most counts.
    assert_eq!(reset_request(&app, Some("203.0.113.5, 198.51.100.1")).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reset_request(&app, Some("198.51.100.2")).await, StatusCode::OK);
}

#[tokio::test]
async fn without_trusted_proxies_forwarded_headers_are_ignored() {
    let app = TestAppBuilder::default().var("RESET_REQUESTS_PER_IP", "2").spawn().await;

    assert_eq!(reset_request(&app, Some("198.51.100.1")).await, StatusCode::OK);
    assert_eq!(reset_request(&app, Some("198.51.100.2")).await, StatusCode::OK);
    // Every request was the peer's, whatever it claimed.
    assert_eq!(reset_request(&app, Some("198.51.100.3")).await, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn fifty_concurrent_wrong_passwords_for_one_name_let_exactly_ten_through() {
    let app = spawn_app().await;
    app.register("quinn", "quinn@example.com", PASSWORD).await;

    let statuses: Vec<u16> = futures::stream::iter(0..50)
        .map(|_| {
            let app = &app;
            async move { app.login("quinn", "wrong guess").await.status().as_u16() }
        })
        .buffer_unordered(50)
        .collect()
        .await;

    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 40, "{statuses:?}");
}

#[tokio::test]
async fn limits_live_in_the_database_without_names_or_addresses_in_clear() {
    let app = spawn_app().await;
    app.login("someone@example.com", "wrong guess").await;

    let mut keys: Vec<String> =
        sqlx::query_scalar("SELECT key FROM rate_limits").fetch_all(&app.state.pool).await.unwrap();
    keys.sort();
    let names: Vec<&str> = keys.iter().map(|k| k.split_once(':').unwrap().0).collect();
    // Failures and hashes, each per name and per address.
    assert_eq!(names, ["login-address", "login-hash", "login-name", "password-hash-network"], "{keys:?}");
    assert!(keys.iter().all(|k| !k.contains("someone") && !k.contains("127.0.0.1")), "{keys:?}");
}

#[tokio::test]
async fn readiness_follows_the_database_and_the_stop() {
    let app = spawn_app().await;
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(app.client.get(app.url("/readyz")).send().await.unwrap().status(), 200);

    app.state.shutdown.cancel();

    let stopping = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(stopping.status(), 503);
    assert_eq!(stopping.text().await.unwrap(), "stopping");
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200, "still alive");
}

#[tokio::test]
async fn servers_starting_at_once_on_a_fresh_database_all_migrate_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpSink::not_started(dir.path().join("smtp"), free_port());
    let url = Secret::new(test_env(dir.path(), &smtp).await["DATABASE_URL"].clone());

    let pools = futures::future::join_all((0..4).map(|_| madblog::server::db::connect(&url))).await;

    for pool in pools {
        let pool = pool.expect("every server migrates or finds the migrations done");
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&pool).await.unwrap();
        assert_eq!(n, 0);
    }
}

#[tokio::test]
async fn a_sqlite_url_without_a_mode_creates_the_file_and_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("var/lib/madblog/madblog.db");
    let url = format!("sqlite://{}", file.display());
    assert!(url.starts_with("sqlite:///"), "the usual absolute form");

    let pool = madblog::server::db::connect(&Secret::new(url)).await.expect("the file is created");

    assert!(file.exists());
    sqlx::query("SELECT COUNT(*) FROM users").fetch_one(&pool).await.unwrap();
}

#[tokio::test]
async fn on_sigterm_a_server_finishes_the_mail_it_is_sending_hands_back_the_rest_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    // Slow enough that eight mails are mid-send when the signal comes.
    let smtp = SmtpSink::start(dir.path().join("smtp"), 0, 2.0).await;
    let mut env = process_env(dir.path(), &smtp).await;
    // Long, so a mail that waited out its lease would show.
    env.insert("MAIL_LEASE_SECONDS".into(), "120".into());
    let mut server = ServerProcess::start(&env).await;
    for i in 0..12 {
        assert_eq!(server.register(&format!("term{i}")).await, 201);
    }
    let pool = pool_for(&env["DATABASE_URL"]).await;
    let claimed = || count(&pool, CLAIMED_UNSENT);
    // The first mail goes out alone; the other eleven are claimed together once it is done, eight
    // to send at once and three waiting in the batch.
    wait_for_count(&pool, CLAIMED_UNSENT, 9, Duration::from_secs(10), "the worker never claimed the mails").await;

    server.signal("TERM");
    let status = tokio::time::timeout(Duration::from_secs(20), server.child.wait()).await.expect("stops").unwrap();

    let delivered = smtp.mails().len();
    let (held, untouched): (i64, i64) = (
        claimed().await,
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND lease_token IS NULL AND attempts = 0",
        )
        .fetch_one(&pool)
        .await
        .unwrap(),
    );
    let recorded: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL").fetch_one(&pool).await.unwrap();
    println!("SIGTERM with mails claimed: exit {status}, {delivered} delivered, {untouched} handed back, {held} held");
    assert!(status.success(), "exit 0: {}", server.log_text());
    assert_eq!(held, 0, "no lease left behind");
    assert_eq!(recorded as usize, delivered, "every mail that was being sent finished and was recorded");
    assert!(untouched >= 1, "claimed mails not yet tried were handed back");
    assert_eq!(delivered + untouched as usize, 12);

    // The next server sends them at once, without waiting out the 120 s lease.
    let started = tokio::time::Instant::now();
    let _next = ServerProcess::start(&env).await;
    for i in 0..12 {
        smtp.wait_for_mails_to(&format!("term{i}@example.com"), 1, Duration::from_secs(30)).await;
    }
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(smtp.mails().len(), 12, "each mail once");
}

#[tokio::test]
async fn the_sweep_deletes_only_rows_whose_allowance_is_full_again() {
    let app = spawn_app().await;
    let pool = &app.state.pool;
    for (key, tat) in [("spent:a", 1_000), ("spent:b", 2_000), ("live:c", 10_000)] {
        sqlx::query("INSERT INTO rate_limits (key, tat_ms) VALUES ($1, $2)")
            .bind(key)
            .bind(tat)
            .execute(pool)
            .await
            .unwrap();
    }

    let swept = madblog::server::db::limits::sweep(pool, 5_000).await.unwrap();

    let left: Vec<String> = sqlx::query_scalar("SELECT key FROM rate_limits").fetch_all(pool).await.unwrap();
    assert_eq!((swept, left), (2, vec!["live:c".to_owned()]));
}

#[tokio::test]
async fn on_sigterm_a_request_in_flight_is_still_answered() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpSink::start(dir.path().join("smtp"), 0, 0.0).await;
    let env = process_env(dir.path(), &smtp).await;
    let mut server = ServerProcess::start(&env).await;
    let body = json!({"username": "inflight", "email": "inflight@example.com", "password": PASSWORD}).to_string();
    let (head, tail) = body.split_at(body.len() / 2);

    // Half a registration is on the wire when the signal comes.
    let mut stream = tokio::net::TcpStream::connect(&env["LEPTOS_SITE_ADDR"]).await.unwrap();
    let request = format!(
        "POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(500)).await;
    stream.write_all(tail.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();

    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let status = tokio::time::timeout(Duration::from_secs(20), server.child.wait()).await.expect("stops").unwrap();
    assert!(status.success(), "{}", server.log_text());
    // Its mail is safe: sent before the worker stopped, or queued (unleased) for the next start.
    let pool = pool_for(&env["DATABASE_URL"]).await;
    let mails =
        count(&pool, "SELECT COUNT(*) FROM outbox WHERE recipient = 'inflight@example.com' AND lease_token IS NULL")
            .await;
    assert_eq!(mails, 1);
    println!("mail of the request answered during the stop: {} delivered before exit", smtp.mails().len());
}

#[tokio::test]
async fn sqlite_commits_skip_the_fsync_unless_full_durability_is_asked_for() {
    use madblog::server::{config::database::SqliteSync, db::connect_with};
    let dir = tempfile::tempdir().unwrap();
    for (sync, expected) in [(SqliteSync::Normal, 1), (SqliteSync::Full, 2)] {
        let url = Secret::new(format!("sqlite://{}/{expected}.db", dir.path().display()));
        let pool = connect_with(&url, sync).await.unwrap();
        // Every connection of the pool, not just the first.
        let mut conns = Vec::new();
        for _ in 0..3 {
            conns.push(pool.acquire().await.unwrap());
        }
        for conn in &mut conns {
            let level: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut **conn).await.unwrap();
            assert_eq!(level, expected, "{sync:?}");
        }
    }
}

#[tokio::test]
async fn server_functions_count_the_same_forwarded_client_as_the_rest_api() {
    let app =
        TestAppBuilder::default().var("TRUSTED_PROXIES", "127.0.0.1").var("RESET_REQUESTS_PER_IP", "2").spawn().await;
    let through_fn = |address: &'static str| {
        app.client
            .post(app.url("/api/fn/reset-password-request"))
            .header("X-Forwarded-For", address)
            .form(&[("email", "x@example.com")])
            .send()
    };

    // One allowance for one client, whichever door it uses.
    assert_eq!(reset_request(&app, Some("198.51.100.9")).await, StatusCode::OK);
    assert_eq!(through_fn("198.51.100.9").await.unwrap().status(), StatusCode::OK);
    assert_eq!(through_fn("198.51.100.9").await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(through_fn("198.51.100.10").await.unwrap().status(), StatusCode::OK);
}
