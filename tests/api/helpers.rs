//! `spawn_app()`: a fresh app and database per test.

use madblog::server::{config::Settings, startup::Application, state::AppState};
use reqwest::{Client, Response};
use serde_json::{Value, json};
use std::sync::LazyLock;

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        madblog::server::telemetry::init();
    }
});

pub async fn spawn_app() -> TestApp {
    LazyLock::force(&TRACING);
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => fresh_postgres_database(&admin_url).await,
        _ => format!("sqlite://{}/test.db?mode=rwc", dir.path().display()),
    };
    let secret = format!("test-secret-{}", uuid::Uuid::new_v4());
    let data_dir = dir.path().display().to_string();
    let settings = Settings::from_lookup(|key| match key {
        "SECRET_KEY" => Some(secret.clone()),
        "DATABASE_URL" => Some(database_url.clone()),
        "DATA_DIR" => Some(data_dir.clone()),
        "APP_URL" => Some("http://127.0.0.1:3000".into()),
        _ => None,
    })
    .expect("test settings");
    let mut conf = leptos::config::get_configuration(Some("Leptos.toml"))
        .expect("Leptos.toml")
        .leptos_options;
    conf.site_addr = "127.0.0.1:0".parse().unwrap();
    let app = Application::build(settings, conf)
        .await
        .expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: Client::new(),
        state,
        _dir: dir,
    }
}

/// Creates an empty database next to the one `admin_url` names, and returns its URL.
async fn fresh_postgres_database(admin_url: &str) -> String {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let name = format!("madblog_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::AnyConnection::connect(admin_url)
        .await
        .expect("connect to TEST_DATABASE_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let base = &base[..base.rfind('/').expect("a database URL has a path")];
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn register(&self, username: &str, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/users",
            &json!({ "username": username, "email": email, "password": password }),
        )
        .await
    }

    pub async fn login(&self, login: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/tokens"))
            .basic_auth(login, Some(password))
            .send()
            .await
            .expect("request")
    }

    /// Registers `name` (email `<name>@example.com`, password [`PASSWORD`]) and logs in.
    pub async fn registered_user(&self, name: &str) -> String {
        let r = self
            .register(name, &format!("{name}@example.com"), PASSWORD)
            .await;
        assert_eq!(
            r.status(),
            201,
            "registering {name}: {}",
            r.text().await.unwrap_or_default()
        );
        self.token(name, PASSWORD).await
    }

    pub async fn token(&self, login: &str, password: &str) -> String {
        let r = self.login(login, password).await;
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    pub async fn me(&self, token: &str) -> Response {
        self.client
            .get(self.url("/api/users/me"))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn count_users(&self) -> i64 {
        use sqlx::Row;
        sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.state.pool)
            .await
            .unwrap()
            .get::<i64, _>("n")
    }
}

pub const PASSWORD: &str = "a sturdy passphrase 42";

/// The body of an error answer, checked for the seed's shape.
pub async fn error_body(response: Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "errors are JSON"
    );
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");
    body
}
