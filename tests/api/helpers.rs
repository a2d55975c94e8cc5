//! `spawn_app()`: a fresh app and database per test.

use madblog::server::{config::Settings, startup::Application, state::AppState};
use reqwest::{Client, Response};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::LazyLock,
    time::Duration,
};

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub state: AppState,
    pub smtp: SmtpSink,
    _database: Option<DroppedDatabase>,
    _dir: tempfile::TempDir,
}

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        madblog::server::telemetry::init();
    }
});

pub const APP_URL: &str = "http://madblog.test:3000";

/// A fresh app with its own database and its own SMTP server.
pub async fn spawn_app() -> TestApp {
    TestAppBuilder::default().spawn().await
}

/// Settings for [`spawn_app`], for the tests that need other ones.
#[derive(Default)]
pub struct TestAppBuilder {
    vars: HashMap<String, String>,
    /// Point the app at a port where no SMTP server listens yet (start it later with
    /// [`SmtpSink::start_on`]).
    smtp_down: bool,
    /// No `MAIL_SERVER`: mail goes to the dev mailbox (`/dev/mailbox`), not to the SMTP sink.
    dev_mailbox: bool,
}

impl TestAppBuilder {
    pub fn var(mut self, key: &str, value: impl Into<String>) -> Self {
        self.vars.insert(key.into(), value.into());
        self
    }

    pub fn smtp_down(mut self) -> Self {
        self.smtp_down = true;
        self
    }

    pub fn dev_mailbox(mut self) -> Self {
        self.dev_mailbox = true;
        self
    }

    pub async fn spawn(self) -> TestApp {
        LazyLock::force(&TRACING);
        let dir = tempfile::tempdir().expect("temp dir");
        let smtp = if self.smtp_down {
            SmtpSink::not_started(dir.path().join("smtp"), free_port())
        } else {
            SmtpSink::start(dir.path().join("smtp"), 0, 0.0).await
        };
        let (mut vars, made) = test_env_and_database(dir.path(), &smtp).await;
        let database = made.map(|(admin_url, name)| DroppedDatabase { admin_url, name });
        vars.extend(self.vars);
        if self.dev_mailbox {
            vars.remove("MAIL_SERVER");
        }
        let settings = Settings::from_lookup(|key| vars.get(key).cloned()).expect("test settings");
        let mut conf = leptos::config::get_configuration(Some("Leptos.toml")).expect("Leptos.toml").leptos_options;
        conf.site_addr = "127.0.0.1:0".parse().unwrap();
        // The hash file sits beside the built server binary, not this test binary: ask for the
        // plain names (no test here loads the bundle; the end-to-end tests do, from the binary).
        conf.hash_files = false;
        let app = Application::build(settings, conf).await.expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        tokio::spawn(app.run_until_stopped());
        TestApp { address, client: Client::new(), state, smtp, _database: database, _dir: dir }
    }
}

/// The settings every test app (in process or as a child process) runs with. Its callers run
/// servers or pools that outlive a guard of ours: their PostgreSQL databases stay until
/// scripts/test.sh next starts.
pub async fn test_env(dir: &Path, smtp: &SmtpSink) -> HashMap<String, String> {
    test_env_and_database(dir, smtp).await.0
}

/// [`test_env`], and the admin URL and name of the PostgreSQL database it made, if it made one.
async fn test_env_and_database(dir: &Path, smtp: &SmtpSink) -> (HashMap<String, String>, Option<(String, String)>) {
    let (database_url, made) = match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let (url, name) = fresh_postgres_database(&admin_url).await;
            (url, Some((admin_url, name)))
        }
        _ => (format!("sqlite://{}/test.db?mode=rwc", dir.display()), None),
    };
    let vars = HashMap::from(
        [
            ("SECRET_KEY", format!("test-secret-{}", uuid::Uuid::new_v4())),
            ("DATABASE_URL", database_url),
            ("DATA_DIR", dir.display().to_string()),
            ("APP_URL", APP_URL.into()),
            ("MAIL_SERVER", "127.0.0.1".into()),
            ("MAIL_PORT", smtp.port.to_string()),
            ("MAIL_SENDER", "Madblog <no-reply@madblog.test>".into()),
            // Retry soon after the SMTP server comes back, so the tests don't wait minutes.
            ("MAIL_BACKOFF_CAP_SECONDS", "2".into()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    (vars, made)
}

/// The Python with the tests' packages (aiosmtpd, dkimpy): `SMTP_SINK_PYTHON`, else the project's
/// `.venv`, else `python3`.
pub fn python() -> String {
    std::env::var("SMTP_SINK_PYTHON").unwrap_or_else(|_| {
        let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");
        if Path::new(venv).exists() { venv.into() } else { "python3".into() }
    })
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A real SMTP server (aiosmtpd, `tests/support/smtp_sink.py`) in a child process; each mail it
/// accepts is a JSON file in `dir`.
pub struct SmtpSink {
    pub port: u16,
    pub dir: PathBuf,
    /// Its options besides the port and delay (TLS, AUTH), kept for a restart.
    options: Vec<String>,
    /// Killed on drop.
    child: Option<tokio::process::Child>,
}

impl SmtpSink {
    pub fn not_started(dir: PathBuf, port: u16) -> Self {
        std::fs::create_dir_all(&dir).unwrap();
        Self { port, dir, options: Vec::new(), child: None }
    }

    pub async fn start(dir: PathBuf, port: u16, delay: f64) -> Self {
        Self::start_with(dir, port, delay, &[]).await
    }

    /// [`SmtpSink::start`] with more of `smtp_sink.py`'s options (`--tls`, `--auth`).
    pub async fn start_with(dir: PathBuf, port: u16, delay: f64, options: &[&str]) -> Self {
        use tokio::io::AsyncBufReadExt;
        std::fs::create_dir_all(&dir).unwrap();
        let mut child = tokio::process::Command::new(python())
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py"))
            .args(["--dir", &dir.display().to_string(), "--port", &port.to_string(), "--delay", &delay.to_string()])
            .args(options)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the SMTP sink (python3 with aiosmtpd; see scripts/test.sh)");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
        let line = ready.expect("SMTP sink ready in time").unwrap().expect("SMTP sink printed READY");
        let port = line.strip_prefix("READY ").expect("READY <port>").trim().parse().unwrap();
        Self { port, dir, options: options.iter().map(|o| o.to_string()).collect(), child: Some(child) }
    }

    /// Starts the server on this sink's port (after [`SmtpSink::not_started`] or
    /// [`SmtpSink::stop`]), with the options it had.
    pub async fn start_on(&mut self, delay: f64) {
        let options: Vec<&str> = self.options.iter().map(String::as_str).collect();
        let started = Self::start_with(self.dir.clone(), self.port, delay, &options).await;
        *self = started;
    }

    /// Kills the server (its connections die with it); the mails it received stay.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("kill the SMTP sink");
        }
    }

    /// Every mail received so far, oldest first.
    pub fn mails(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "json"));
        files.sort();
        files.iter().map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()).collect()
    }

    /// Waits (up to `timeout`) until `count` mails to `recipient` have arrived, and returns them.
    pub async fn wait_for_mails_to(&self, recipient: &str, count: usize, timeout: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let mails: Vec<Value> = self.mails().into_iter().filter(|m| m["rcpt_tos"][0] == recipient).collect();
            if mails.len() >= count || tokio::time::Instant::now() > deadline {
                assert!(mails.len() >= count, "expected {count} mail(s) to {recipient}, got {}", mails.len());
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// How many times a client asked this server to take `recipient` (RCPT TO), whatever it
    /// answered: every attempt, including the refused ones that never became a mail.
    pub fn rcpt_attempts(&self, recipient: &str) -> usize {
        let log = std::fs::read_to_string(self.dir.join("rcpt.log")).unwrap_or_default();
        log.lines().filter(|line| line.split(' ').next() == Some(recipient)).count()
    }

    /// The recipient of every mail received so far, oldest first (repeats included).
    pub fn recipients(&self) -> Vec<String> {
        self.mails().iter().map(|m| m["rcpt_tos"][0].as_str().unwrap().to_owned()).collect()
    }

    /// Waits (up to `timeout`) until at least `count` mails have arrived; returns their recipients.
    pub async fn wait_for_mail_count(&self, count: usize, timeout: Duration) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.recipients();
            if got.len() >= count || tokio::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (up to `timeout`) until `count` different addresses have mail; returns every
    /// recipient, repeats included. Redelivered mail (at least once, after a crash) counts once.
    pub async fn wait_for_distinct_recipients(&self, count: usize, timeout: Duration) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.recipients();
            let distinct: std::collections::HashSet<&String> = got.iter().collect();
            if distinct.len() >= count || tokio::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (up to 20 s) for a mail to `recipient` whose subject starts with `subject`; the newest.
    pub async fn wait_for_subject(&self, recipient: &str, subject: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let found = self.mails().into_iter().rev().find(|m| {
                m["rcpt_tos"][0] == recipient && m["subject"].as_str().is_some_and(|s| s.starts_with(subject))
            });
            if let Some(mail) = found {
                return mail;
            }
            assert!(tokio::time::Instant::now() < deadline, "no mail {subject:?} to {recipient}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn wait_for_mail_to(&self, recipient: &str) -> Value {
        self.wait_for_mails_to(recipient, 1, Duration::from_secs(20)).await.pop().unwrap()
    }
}

/// The built `madblog` binary as a child process (to kill, signal, or run several of), with its log
/// in a file.
pub struct ServerProcess {
    pub child: tokio::process::Child,
    pub address: String,
    pub log: PathBuf,
}

impl ServerProcess {
    /// Starts `madblog` with exactly `env` (plus `PATH`), listening on `env["LEPTOS_SITE_ADDR"]`,
    /// and waits until it answers.
    pub async fn start(env: &HashMap<String, String>) -> Self {
        let server = Self::spawn(env);
        server.wait_until_up().await;
        server
    }

    /// Starts `madblog` without waiting for it (several at once, to race their start-up).
    pub fn spawn(env: &HashMap<String, String>) -> Self {
        let log = std::env::temp_dir().join(format!("madblog-server-{}.log", uuid::Uuid::new_v4()));
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_madblog"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .envs(env)
            // tracing's fmt writes to stdout; panics go to stderr.
            .stdout(std::fs::File::create(&log).expect("log file"))
            .stderr(std::fs::OpenOptions::new().append(true).open(&log).expect("log file"))
            .kill_on_drop(true)
            .spawn()
            .expect("start the madblog binary");
        let address = format!("http://{}", env["LEPTOS_SITE_ADDR"]);
        Self { child, address, log }
    }

    pub async fn wait_until_up(&self) {
        let client = Client::new();
        for _ in 0..300 {
            if client.get(format!("{}/readyz", self.address)).send().await.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not come up; its log:\n{}", self.log_text());
    }

    /// Registers `name` (`<name>@example.com`) with this server.
    pub async fn register(&self, name: &str) -> reqwest::StatusCode {
        register_at(&Client::new(), &self.address, name).await
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server is running")
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends a signal by name (`TERM`, `KILL`), the way a service manager would.
    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill").args([&format!("-{signal}"), &self.pid().to_string()]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -{signal} failed");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.log);
    }
}

/// `POST {base}/api/users` for `name` (`<name>@example.com`, [`PASSWORD`]).
pub async fn register_at(client: &Client, base: &str, name: &str) -> reqwest::StatusCode {
    let body = json!({"username": name, "email": format!("{name}@example.com"), "password": PASSWORD});
    client.post(format!("{base}/api/users")).json(&body).send().await.expect("request").status()
}

/// [`test_env`] plus a free `LEPTOS_SITE_ADDR`: the settings of one [`ServerProcess`].
pub async fn process_env(dir: &Path, smtp: &SmtpSink) -> HashMap<String, String> {
    let mut env = test_env(dir, smtp).await;
    env.insert("LEPTOS_SITE_ADDR".into(), format!("127.0.0.1:{}", free_port()));
    env
}

/// Waits (up to `timeout`) until `sql` (a `SELECT COUNT(*) …`) counts at least `at_least`; fails
/// with `what` otherwise.
pub async fn wait_for_count(pool: &sqlx::AnyPool, sql: &str, at_least: i64, timeout: Duration, what: &str) {
    let deadline = tokio::time::Instant::now() + timeout;
    while count(pool, sql).await < at_least {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A pool of its own on a server process's database, to look at what the server did.
pub async fn pool_for(database_url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(database_url).await.expect("connect to the server's database")
}

/// The single number `sql` (a `SELECT COUNT(*) …`) answers.
pub async fn count(pool: &sqlx::AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect("a count")
}

/// Mails claimed by a worker and not sent yet.
pub const CLAIMED_UNSENT: &str = "SELECT COUNT(*) FROM outbox WHERE lease_token IS NOT NULL AND sent_at IS NULL";

/// The first link in a mail's text body.
pub fn link_in(mail: &Value) -> String {
    let text = mail["text"].as_str().expect("a text part");
    text.split_whitespace().find(|w| w.starts_with("http")).expect("a link in the mail").to_owned()
}

/// The token in a link (`…#token=<jwt>`).
pub fn token_in(link: &str) -> String {
    link.split_once("token=").expect("a token in the link").1.to_owned()
}

/// Creates an empty database next to the one `admin_url` names, and returns its URL and name.
async fn fresh_postgres_database(admin_url: &str) -> (String, String) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let name = format!("madblog_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::AnyConnection::connect(admin_url).await.expect("connect to TEST_DATABASE_URL");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
    let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let base = &base[..base.rfind('/').expect("a database URL has a path")];
    let url = match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    };
    (url, name)
}

/// A test's PostgreSQL database, dropped when the test ends. Left behind, a run's 230 databases
/// take about 3 GB of disk (each copy of the template also goes through the WAL), and a CI machine
/// short of disk fails every test after the point where it fills.
struct DroppedDatabase {
    admin_url: String,
    name: String,
}

impl Drop for DroppedDatabase {
    fn drop(&mut self) {
        // Handed to one thread that drops them: each DROP DATABASE waits for a checkpoint, and a
        // test that waited for its own would add a third of a second to every PostgreSQL test.
        // What is still queued when the run ends, scripts/test.sh drops at its next start.
        let _ = DATABASE_DROPPER.send((self.admin_url.clone(), std::mem::take(&mut self.name)));
    }
}

/// How many databases the dropper drops at once: enough to keep up on a loaded machine, few enough
/// to leave PostgreSQL's 100 connections to the tests.
const DROPS_AT_ONCE: usize = 8;

static DATABASE_DROPPER: LazyLock<std::sync::mpsc::Sender<(String, String)>> = LazyLock::new(|| {
    let (sender, receiver) = std::sync::mpsc::channel::<(String, String)>();
    std::thread::spawn(move || {
        // Its own runtime: the tests' runtimes end with their tests.
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        while let Ok(first) = receiver.recv() {
            // Drops that wait for a checkpoint together share it. One at a time, with both cores
            // busy elsewhere, 190 of a run's 227 databases were still queued at its end; in
            // batches, 104.
            let batch = std::iter::once(first).chain(receiver.try_iter().take(DROPS_AT_ONCE - 1));
            runtime.block_on(futures::future::join_all(batch.map(|(admin_url, name)| drop_database(admin_url, name))));
        }
    });
    sender
});

async fn drop_database(admin_url: String, name: String) {
    use sqlx::Connection;
    let Ok(mut conn) = sqlx::AnyConnection::connect(&admin_url).await else { return };
    // FORCE: the app's pooled connections live until its test's runtime stops.
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
    let _ = conn.close().await;
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).json(body).send().await.expect("request")
    }

    pub async fn register(&self, username: &str, email: &str, password: &str) -> Response {
        self.post_json("/api/users", &json!({ "username": username, "email": email, "password": password })).await
    }

    pub async fn login(&self, login: &str, password: &str) -> Response {
        self.client.post(self.url("/api/tokens")).basic_auth(login, Some(password)).send().await.expect("request")
    }

    /// Registers `name` (email `<name>@example.com`, password [`PASSWORD`]) and logs in.
    pub async fn registered_user(&self, name: &str) -> String {
        let r = self.register(name, &format!("{name}@example.com"), PASSWORD).await;
        assert_eq!(r.status(), 201, "registering {name}: {}", r.text().await.unwrap_or_default());
        self.token(name, PASSWORD).await
    }

    pub async fn token(&self, login: &str, password: &str) -> String {
        let r = self.login(login, password).await;
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["token"].as_str().expect("token").to_owned()
    }

    pub async fn me(&self, token: &str) -> Response {
        self.client.get(self.url("/api/users/me")).bearer_auth(token).send().await.expect("request")
    }

    /// The confirmation token mailed to `email` (the newest, after `count` mails).
    pub async fn confirmation_token(&self, email: &str) -> String {
        let mail = self.smtp.wait_for_mail_to(email).await;
        assert_eq!(mail["subject"], "[Madblog] Confirm Your Account");
        token_in(&link_in(&mail))
    }

    pub async fn confirm(&self, session: &str, token: &str) -> Response {
        self.client.get(self.url(&format!("/api/confirm/{token}"))).bearer_auth(session).send().await.expect("request")
    }

    /// Registers and confirms `name`; returns a confirmed session token.
    pub async fn confirmed_user(&self, name: &str) -> String {
        let session = self.registered_user(name).await;
        let token = self.confirmation_token(&format!("{name}@example.com")).await;
        let response = self.confirm(&session, &token).await;
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
    }

    pub async fn count_users(&self) -> i64 {
        use sqlx::Row;
        sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(&self.state.pool).await.unwrap().get::<i64, _>("n")
    }
}

pub const PASSWORD: &str = "a sturdy passphrase 42";

/// The body of an error answer, checked for the seed's shape: `{error, message}`.
pub async fn error_body(response: Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"), "errors are JSON");
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");
    assert!(body["message"].is_string() || body["message"].is_object(), "every error says what went wrong: {body}");
    body
}
