//! Deployed as sites deploy it: two `madblog` servers on one PostgreSQL, behind Debian's nginx
//! running `deploy/nginx.conf` on loopback, with `TRUSTED_PROXIES` naming nginx's address.
//!
//! These need PostgreSQL (`TEST_DATABASE_URL`) and nginx, so they are ignored by a plain
//! `cargo test`; `scripts/test.sh` runs them with `--ignored`.

use crate::helpers::{ServerProcess, SmtpSink, free_port, pool_for, register_at, test_env};
use futures::StreamExt;
use reqwest::{Client, StatusCode};
use serde_json::json;
use std::{
    collections::{HashMap, HashSet},
    net::IpAddr,
    path::Path,
    time::Duration,
};

/// nginx connects to the servers from here; it is the only trusted proxy. Direct clients in these
/// tests use other loopback addresses, so they are not trusted.
const NGINX_UPSTREAM_SOURCE: &str = "127.0.0.1";

struct Cluster {
    servers: Vec<ServerProcess>,
    /// `http://127.0.0.1:<port>` of nginx.
    proxy: String,
    pool: sqlx::AnyPool,
    smtp: SmtpSink,
    _nginx: Nginx,
    _dir: tempfile::TempDir,
}

/// nginx's master process. Stopped with SIGTERM, not the SIGKILL of `kill_on_drop`: a killed
/// master leaves its workers running, holding the port.
struct Nginx(std::process::Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

impl Cluster {
    /// Two servers started at the same instant on a fresh database (so their migrations race), an
    /// SMTP server holding each mail `smtp_delay` seconds, and nginx in front.
    async fn start(smtp_delay: f64, extra: &[(&str, &str)]) -> Self {
        let admin = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
        assert!(admin.starts_with("postgres"), "the multi-server tests need TEST_DATABASE_URL (PostgreSQL)");
        let dir = tempfile::tempdir().unwrap();
        let smtp = SmtpSink::start(dir.path().join("smtp"), 0, smtp_delay).await;
        let mut env = test_env(dir.path(), &smtp).await;
        env.insert("TRUSTED_PROXIES".into(), NGINX_UPSTREAM_SOURCE.into());
        env.insert("RUST_LOG".into(), "info,sqlx=warn".into());
        // These tests register hundreds of accounts from one client: the limits (registrations,
        // and the hash each one costs) aren't their subject.
        env.insert("REGISTRATIONS_PER_IP".into(), "100000".into());
        env.insert("PASSWORD_HASHES_PER_IP".into(), "100000".into());
        for (k, v) in extra {
            env.insert((*k).into(), (*v).into());
        }
        let servers: Vec<ServerProcess> = (0..2)
            .map(|_| {
                let mut env = env.clone();
                env.insert("LEPTOS_SITE_ADDR".into(), format!("127.0.0.1:{}", free_port()));
                ServerProcess::spawn(&env)
            })
            .collect();
        for server in &servers {
            server.wait_until_up().await;
        }
        let port = free_port();
        let nginx = start_nginx(dir.path(), port, &servers).await;
        let pool = pool_for(&env["DATABASE_URL"]).await;
        Self { servers, proxy: format!("http://127.0.0.1:{port}"), pool, smtp, _nginx: nginx, _dir: dir }
    }

    /// How many log lines of each server contain `needle`.
    fn log_counts(&self, needle: &str) -> Vec<usize> {
        self.servers.iter().map(|s| s.log_text().lines().filter(|l| l.contains(needle)).count()).collect()
    }
}

/// Debian's nginx with `deploy/nginx.conf`, its addresses pointed at this cluster.
async fn start_nginx(dir: &Path, port: u16, servers: &[ServerProcess]) -> Nginx {
    let example = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx.conf")).unwrap();
    let mut site = example.clone();
    for (from, to) in [
        ("127.0.0.1:3000", servers[0].address.trim_start_matches("http://").to_owned()),
        ("127.0.0.1:3001", servers[1].address.trim_start_matches("http://").to_owned()),
        ("listen 80;", format!("listen 127.0.0.1:{port};")),
    ] {
        assert!(site.contains(from), "deploy/nginx.conf no longer has `{from}`: update this test with it");
        site = site.replace(from, &to);
    }
    std::fs::write(dir.join("madblog.conf"), site).unwrap();
    let d = dir.display();
    let main = format!(
        "worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/nginx-error.log warn;\nevents {{ worker_connections 1024; }}\n\
         http {{\n  access_log {d}/nginx-access.log;\n  client_body_temp_path {d}/nginx-body;\n  proxy_temp_path {d}/nginx-proxy;\n\
         fastcgi_temp_path {d}/nginx-fastcgi;\n  uwsgi_temp_path {d}/nginx-uwsgi;\n  scgi_temp_path {d}/nginx-scgi;\n\
         include {d}/madblog.conf;\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].into_iter().find(|p| Path::new(p).exists()).unwrap_or("nginx");
    let child = Nginx(
        std::process::Command::new(nginx)
            .args(["-p", &d.to_string(), "-e", &format!("{d}/nginx-error.log"), "-c", &format!("{d}/nginx.conf")])
            .args(["-g", "daemon off;"])
            .spawn()
            .expect("start nginx (Debian package `nginx`; scripts/test.sh installs it)"),
    );
    let client = Client::new();
    for _ in 0..100 {
        if client.get(format!("http://127.0.0.1:{port}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nginx did not come up: {}", std::fs::read_to_string(dir.join("nginx-error.log")).unwrap_or_default());
}

/// A client whose connections come from `source` (any 127.x.y.z address works on loopback).
fn client_from(source: &str) -> Client {
    Client::builder().local_address(source.parse::<IpAddr>().unwrap()).build().unwrap()
}

async fn login(client: &Client, base: &str, name: &str, password: &str) -> StatusCode {
    client.post(format!("{base}/api/tokens")).basic_auth(name, Some(password)).send().await.unwrap().status()
}

async fn reset_request(client: &Client, base: &str, spoofed: Option<&str>) -> StatusCode {
    let mut request =
        client.post(format!("{base}/api/reset-password-request")).json(&json!({"email": "nobody@example.com"}));
    if let Some(address) = spoofed {
        request = request.header("X-Forwarded-For", address);
    }
    request.send().await.unwrap().status()
}

#[tokio::test]
#[ignore = "needs PostgreSQL and nginx: run by scripts/test.sh"]
async fn two_hundred_registrations_through_nginx_send_exactly_two_hundred_mails() {
    let cluster = Cluster::start(0.05, &[]).await;
    let client = Client::new();

    let statuses: Vec<StatusCode> = futures::stream::iter(0..200)
        .map(|i| {
            let (client, proxy) = (&client, &cluster.proxy);
            async move { register_at(client, proxy, &format!("many{i}")).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");

    let mails = cluster.smtp.wait_for_mail_count(200, Duration::from_secs(120)).await;
    // Anything late would be a duplicate: give it time to show up.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails = cluster.smtp.recipients().len().max(mails.len());
    let distinct: HashSet<String> = cluster.smtp.recipients().into_iter().collect();
    let per_server = cluster.log_counts("account registered");
    println!(
        "200 registrations via nginx: per server {per_server:?}; {mails} mails, {} distinct recipients",
        distinct.len()
    );
    assert_eq!(distinct.len(), 200, "every account got its confirmation mail");
    assert_eq!(mails, 200, "and none got two");
    assert!(per_server.iter().all(|n| *n > 0), "nginx spread the registrations: {per_server:?}");
    assert_eq!(per_server.iter().sum::<usize>(), 200);
}

#[tokio::test]
#[ignore = "needs PostgreSQL and nginx: run by scripts/test.sh"]
async fn mail_claimed_by_a_killed_server_is_delivered_by_the_other_once_the_lease_runs_out() {
    let mut cluster = Cluster::start(1.5, &[("MAIL_LEASE_SECONDS", "4")]).await;
    let client = Client::new();
    for i in 0..20 {
        assert_eq!(register_at(&client, &cluster.proxy, &format!("kill{i}")).await, StatusCode::CREATED);
    }
    // Wait until a server holds claimed mails it hasn't finished (its lease tokens name it); that
    // one dies. Either may have claimed first.
    let held = |pool: sqlx::AnyPool, pid: u32| async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND lease_token LIKE $1")
            .bind(format!("%:{pid}/%"))
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let pids: Vec<u32> = cluster.servers.iter().map(ServerProcess::pid).collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let victim = loop {
        let mut found = None;
        for (i, pid) in pids.iter().enumerate() {
            if held(cluster.pool.clone(), *pid).await >= 2 {
                found = Some(i);
            }
        }
        if let Some(i) = found {
            break i;
        }
        assert!(tokio::time::Instant::now() < deadline, "no server ever held claimed mail");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let survivor = 1 - victim;

    let dead = &mut cluster.servers[victim];
    dead.child.start_kill().unwrap(); // SIGKILL
    dead.child.wait().await.unwrap();
    let held_at_kill = held(cluster.pool.clone(), pids[victim]).await;
    let delivered_at_kill = cluster.smtp.recipients().len();

    // Mail the killed server handed to SMTP but never marked sent goes out again (at least once):
    // wait for every address, not for 20 messages, which repeats could make up.
    let delivered = cluster.smtp.wait_for_distinct_recipients(20, Duration::from_secs(90)).await;
    let distinct: HashSet<&String> = delivered.iter().collect();
    println!(
        "killed a server holding {held_at_kill} claimed, unsent mails ({delivered_at_kill} of 20 delivered by then); \
         afterwards {} distinct recipients, {} messages",
        distinct.len(),
        delivered.len()
    );
    assert!(held_at_kill > 0, "the killed server held mail");
    assert_eq!(distinct.len(), 20, "the surviving server delivered the dead one's mail");
    assert!(cluster.servers[survivor].log_text().contains("mail sent"), "by the other server");
}

#[tokio::test]
#[ignore = "needs PostgreSQL and nginx: run by scripts/test.sh"]
async fn failed_logins_spread_over_both_servers_hit_the_per_name_limit_at_the_same_count() {
    let cluster = Cluster::start(0.0, &[]).await;
    let client = Client::new();
    assert_eq!(register_at(&client, &cluster.proxy, "target").await, StatusCode::CREATED);

    let mut statuses = Vec::new();
    for _ in 0..14 {
        statuses.push(login(&client, &cluster.proxy, "target", "wrong guess").await);
    }
    let refused_from = statuses.iter().position(|s| *s == StatusCode::TOO_MANY_REQUESTS);
    let per_server = cluster.log_counts("path=/api/tokens");
    println!(
        "14 wrong passwords via nginx, per server {per_server:?}: first 429 at attempt {:?}",
        refused_from.map(|i| i + 1)
    );
    assert!(per_server.iter().all(|n| *n >= 5), "round robin reached both servers: {per_server:?}");
    assert_eq!(refused_from, Some(10), "10 allowed, as on one server: {statuses:?}");
    assert!(statuses[10..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS));

    // 50 at once for another name: check and count are one step, on both servers.
    let concurrent: Vec<StatusCode> = futures::stream::iter(0..50)
        .map(|_| {
            let (client, proxy) = (&client, &cluster.proxy);
            async move { login(client, proxy, "other", "wrong guess").await }
        })
        .buffer_unordered(50)
        .collect()
        .await;
    let counts: HashMap<StatusCode, usize> = concurrent.iter().fold(HashMap::new(), |mut m, s| {
        *m.entry(*s).or_default() += 1;
        m
    });
    println!("50 concurrent wrong passwords via nginx: {counts:?}");
    assert_eq!(counts.get(&StatusCode::UNAUTHORIZED), Some(&10), "{counts:?}");
    assert_eq!(counts.get(&StatusCode::TOO_MANY_REQUESTS), Some(&40), "{counts:?}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL and nginx: run by scripts/test.sh"]
async fn per_address_limits_follow_the_forwarded_client_and_ignore_headers_sent_straight_to_a_server() {
    let cluster = Cluster::start(0.0, &[("RESET_REQUESTS_PER_IP", "3")]).await;
    let (alice, bob) = (client_from("127.0.0.10"), client_from("127.0.0.11"));

    for _ in 0..3 {
        assert_eq!(reset_request(&alice, &cluster.proxy, None).await, StatusCode::OK);
    }
    assert_eq!(reset_request(&alice, &cluster.proxy, None).await, StatusCode::TOO_MANY_REQUESTS);
    // A header of her own doesn't help: nginx appends her real address, which is what counts.
    assert_eq!(reset_request(&alice, &cluster.proxy, Some("203.0.113.7")).await, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy has an allowance of its own.
    for _ in 0..3 {
        assert_eq!(reset_request(&bob, &cluster.proxy, None).await, StatusCode::OK);
    }

    // Straight to a server, not through nginx: the peer is not a trusted proxy, so the header is
    // ignored and the peer address is the key.
    let direct = client_from("127.0.0.20");
    let server = &cluster.servers[1].address;
    let mut statuses = Vec::new();
    for i in 0..5 {
        // Each request claims a different, fresh address; all count against 127.0.0.20.
        statuses.push(reset_request(&direct, server, Some(&format!("198.51.100.{i}"))).await);
    }
    println!("direct requests with forged X-Forwarded-For: {statuses:?}");
    assert_eq!(statuses[..3], [StatusCode::OK; 3]);
    assert_eq!(statuses[3..], [StatusCode::TOO_MANY_REQUESTS; 2]);
    // And claiming to be an exhausted client doesn't spend that client's allowance either.
    let carol = client_from("127.0.0.12");
    assert_eq!(reset_request(&carol, server, Some("127.0.0.11")).await, StatusCode::OK);
    let logged = cluster.servers[1].log_text();
    assert!(logged.contains("client=127.0.0.20"), "the log names the real client");
    assert!(!logged.contains("client=198.51.100."), "never a forged one");
}
