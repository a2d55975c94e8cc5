//! Input attacks on every endpoint that reads input, REST and server functions alike: each class of
//! bad input is one test that tries it on every endpoint and field, and every answer must be a
//! 4xx carrying `{error, message}`: never a 5xx, a panic, or a row written.
//!
//! A case mutates one field of an otherwise valid request, so the mutation is what gets judged.

use crate::helpers::{PASSWORD, TestApp, TestAppBuilder};
use reqwest::{Method, Response};
use serde_json::{Map, Value, json};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Auth {
    Anonymous,
    /// A session of an account that hasn't confirmed its address.
    Unconfirmed,
    Confirmed,
}

/// A REST endpoint with a JSON body: the fields it requires, each with a valid value.
struct Rest {
    method: Method,
    path: &'static str,
    auth: Auth,
    fields: &'static [(&'static str, &'static str)],
}

const NEW_PASSWORD: &str = "another sturdy passphrase";

fn rest_endpoints() -> Vec<Rest> {
    use Auth::*;
    let r = |method: Method, path, auth, fields| Rest { method, path, auth, fields };
    vec![
        r(
            Method::POST,
            "/api/users",
            Anonymous,
            &[("username", "newcomer"), ("email", "newcomer@example.com"), ("password", PASSWORD)],
        ),
        r(Method::POST, "/api/reset-password-request", Anonymous, &[("email", "victim@example.com")]),
        r(Method::POST, "/api/reset-password/not-a-token", Anonymous, &[("password", NEW_PASSWORD)]),
        r(
            Method::POST,
            "/api/reset-password-code",
            Anonymous,
            &[("email", "victim@example.com"), ("code", "1234 5678"), ("password", NEW_PASSWORD)],
        ),
        r(Method::POST, "/api/confirm-code", Unconfirmed, &[("code", "1234 5678")]),
        r(Method::POST, "/api/resend-confirm", Unconfirmed, &[]),
        r(
            Method::POST,
            "/api/update-password",
            Confirmed,
            &[("old_password", PASSWORD), ("new_password", NEW_PASSWORD)],
        ),
        r(Method::POST, "/api/change-email", Confirmed, &[("password", PASSWORD), ("new_email", "moved@example.com")]),
        r(Method::POST, "/api/revert-email-change/not-a-token", Anonymous, &[("email", "victim@example.com")]),
        r(Method::POST, "/api/secure-account/not-a-token", Anonymous, &[("email", "victim@example.com")]),
        r(Method::PUT, "/api/users/me/language", Confirmed, &[("language", "zh-CN")]),
        r(Method::DELETE, "/api/users/me", Confirmed, &[("password", "not the password")]),
    ]
}

/// A server function (form-encoded arguments), with a valid value for each argument.
struct ServerFn {
    name: &'static str,
    auth: Auth,
    args: &'static [(&'static str, &'static str)],
}

fn server_functions() -> Vec<ServerFn> {
    use Auth::*;
    let f = |name, auth, args| ServerFn { name, auth, args };
    vec![
        f(
            "register",
            Anonymous,
            &[("username", "newcomer"), ("email", "newcomer@example.com"), ("password", PASSWORD)],
        ),
        f("login", Anonymous, &[("login", "victim"), ("password", "not the password")]),
        f("language", Confirmed, &[("language", "zh-CN")]),
        f("delete-account", Confirmed, &[("password", "not the password")]),
        f("confirm", Unconfirmed, &[("token", "not-a-token")]),
        f("confirm-code", Unconfirmed, &[("code", "1234 5678")]),
        f("change-email", Confirmed, &[("password", "not the password"), ("new_email", "moved@example.com")]),
        f("confirm-email-change", Confirmed, &[("token", "not-a-token")]),
        f("revert-email-change", Anonymous, &[("token", "not-a-token"), ("email", "victim@example.com")]),
        f("secure-account", Anonymous, &[("token", "not-a-token"), ("email", "victim@example.com")]),
        f("reset-password-request", Anonymous, &[("email", "victim@example.com")]),
        f("reset-password", Anonymous, &[("token", "not-a-token"), ("password", NEW_PASSWORD)]),
        f(
            "reset-password-code",
            Anonymous,
            &[("email", "victim@example.com"), ("code", "1234 5678"), ("password", NEW_PASSWORD)],
        ),
        f("update-password", Confirmed, &[("old_password", "not the password"), ("new_password", NEW_PASSWORD)]),
        f("end-session", Confirmed, &[("id", "not-a-session")]),
    ]
}

/// The app under attack: a confirmed account (`victim`), an unconfirmed one (`newbie`), and what
/// the database held before the attacks, to prove afterwards that nothing changed.
struct Target {
    app: TestApp,
    confirmed: String,
    unconfirmed: String,
    before: Value,
}

async fn target() -> Target {
    // The registration limit would answer 429 before the parsers are reached; the parsers are
    // what these tests attack.
    let app = TestAppBuilder::default().var("REGISTRATIONS_PER_IP", "100000").spawn().await;
    let confirmed = app.confirmed_user("victim").await;
    let unconfirmed = app.registered_user("newbie").await;
    let before = snapshot(&app).await;
    Target { app, confirmed, unconfirmed, before }
}

/// Everything an attack could have written, as one comparable value.
async fn snapshot(app: &TestApp) -> Value {
    // One text per account, every column an attack could change.
    let users: Vec<String> = sqlx::query_scalar(
        "SELECT username || '|' || email || '|' || password_hash || '|' || CAST(confirmed AS TEXT) || '|' || locale \
         || '|' || CAST(session_version AS TEXT) || '|' || CAST(email_version AS TEXT) FROM users ORDER BY username",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    let count = |table: &str| {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let pool = app.state.pool.clone();
        async move { sqlx::query_scalar::<_, i64>(&sql).fetch_one(&pool).await.unwrap() }
    };
    json!({
        "users": users,
        "outbox": count("outbox").await,
        "sessions": count("sessions").await,
        "address_holds": count("address_holds").await,
    })
}

impl Target {
    fn session(&self, auth: Auth) -> Option<&str> {
        match auth {
            Auth::Anonymous => None,
            Auth::Unconfirmed => Some(&self.unconfirmed),
            Auth::Confirmed => Some(&self.confirmed),
        }
    }

    /// A REST call with `body` as the raw bytes and `content_type` (none when `None`).
    async fn rest(&self, endpoint: &Rest, content_type: Option<&str>, body: Option<Vec<u8>>) -> Response {
        let request = self.app.client.request(endpoint.method.clone(), self.app.url(endpoint.path));
        self.send(request, endpoint.auth, content_type, body).await
    }

    async fn send(
        &self,
        mut request: reqwest::RequestBuilder,
        auth: Auth,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Response {
        if let Some(session) = self.session(auth) {
            request = request.bearer_auth(session);
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        request.send().await.unwrap()
    }

    async fn rest_json(&self, endpoint: &Rest, body: &Value) -> Response {
        self.rest(endpoint, Some("application/json"), Some(body.to_string().into_bytes())).await
    }

    async fn server_fn(&self, function: &ServerFn, content_type: Option<&str>, body: Option<Vec<u8>>) -> Response {
        let request = self.app.client.post(self.app.url(&format!("/api/fn/{}", function.name)));
        self.send(request, function.auth, content_type, body).await
    }

    async fn server_fn_form(&self, function: &ServerFn, args: &[(String, String)]) -> Response {
        let body = serde_urlencoded(args);
        self.server_fn(function, Some("application/x-www-form-urlencoded"), Some(body.into_bytes())).await
    }

    /// Fails with every case that wasn't a 4xx with a message, then checks nothing was written.
    async fn verdict(&self, failures: Vec<String>, cases: usize) {
        assert!(cases > 0, "no case was tried");
        assert!(
            failures.is_empty(),
            "{} of {cases} cases were not a 4xx with a message:\n{}",
            failures.len(),
            failures.join("\n")
        );
        assert_eq!(snapshot(&self.app).await, self.before, "an attack changed the database");
    }
}

fn serde_urlencoded(args: &[(String, String)]) -> String {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    args.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

/// `None` for a 4xx whose body is `{error, message}`; otherwise what was wrong.
async fn judge(case: &str, response: Response) -> Option<String> {
    let status = response.status();
    let is_json = response.headers().get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let body: Value = if is_json { response.json().await.unwrap_or(Value::Null) } else { Value::Null };
    let has_message = body["error"].is_string() && (body["message"].is_string() || body["message"].is_object());
    (!status.is_client_error() || !has_message).then(|| format!("  {case}: {status} {body}"))
}

fn valid_body(fields: &[(&str, &str)]) -> Map<String, Value> {
    fields.iter().map(|(k, v)| ((*k).to_owned(), Value::from(*v))).collect()
}

/// Tries `value` in each field of each REST endpoint in turn, the other fields valid.
async fn each_rest_field(target: &Target, what: &str, value: impl Fn(&str) -> Value) -> (Vec<String>, usize) {
    let (mut failures, mut cases) = (Vec::new(), 0);
    for endpoint in rest_endpoints() {
        for (field, valid) in endpoint.fields {
            let mut body = valid_body(endpoint.fields);
            body.insert((*field).to_owned(), value(valid));
            cases += 1;
            let case = format!("{} {} {field}: {what}", endpoint.method, endpoint.path);
            failures.extend(judge(&case, target.rest_json(&endpoint, &Value::Object(body)).await).await);
        }
    }
    (failures, cases)
}

/// Tries `value` in each argument of each server function in turn, the others valid.
async fn each_server_fn_arg(target: &Target, what: &str, value: impl Fn(&str) -> String) -> (Vec<String>, usize) {
    let (mut failures, mut cases) = (Vec::new(), 0);
    for function in server_functions() {
        for (arg, valid) in function.args {
            let args: Vec<(String, String)> = function
                .args
                .iter()
                .map(|(k, v)| ((*k).to_owned(), if k == arg { value(valid) } else { (*v).to_owned() }))
                .collect();
            cases += 1;
            let case = format!("server fn {} {arg}: {what}", function.name);
            failures.extend(judge(&case, target.server_fn_form(&function, &args).await).await);
        }
    }
    (failures, cases)
}

#[tokio::test]
async fn a_missing_body_is_a_4xx_everywhere() {
    let target = target().await;
    let (mut failures, mut cases) = (Vec::new(), 0);
    // Resending takes an optional body: without one it is a valid request.
    for endpoint in rest_endpoints().into_iter().filter(|e| !e.fields.is_empty()) {
        cases += 1;
        let case = format!("{} {}", endpoint.method, endpoint.path);
        failures.extend(judge(&case, target.rest(&endpoint, None, None).await).await);
    }
    for function in server_functions() {
        cases += 1;
        failures.extend(
            judge(&format!("server fn {}", function.name), target.server_fn(&function, None, None).await).await,
        );
    }
    target.verdict(failures, cases).await;
}

#[tokio::test]
async fn the_wrong_content_type_is_a_4xx_everywhere() {
    let target = target().await;
    let (mut failures, mut cases) = (Vec::new(), 0);
    for endpoint in rest_endpoints() {
        let body = Value::Object(valid_body(endpoint.fields)).to_string().into_bytes();
        for content_type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
            cases += 1;
            let case = format!("{} {} as {content_type}", endpoint.method, endpoint.path);
            failures.extend(judge(&case, target.rest(&endpoint, Some(content_type), Some(body.clone())).await).await);
        }
    }
    for function in server_functions() {
        // Valid JSON of the right arguments, sent where a form is expected.
        let body = Value::Object(valid_body(function.args)).to_string().into_bytes();
        cases += 1;
        let case = format!("server fn {} as JSON", function.name);
        failures.extend(judge(&case, target.server_fn(&function, Some("application/json"), Some(body)).await).await);
    }
    target.verdict(failures, cases).await;
}

#[tokio::test]
async fn malformed_json_or_form_data_is_a_400_everywhere() {
    let target = target().await;
    let (mut failures, mut cases) = (Vec::new(), 0);
    let broken_json = ["{", "{\"a\": }", "[1, 2]", "\"just a string\"", "{\"a\": 1,}", "nul", "{\"a\": \"\\ud800\"}"];
    for endpoint in rest_endpoints() {
        for raw in broken_json {
            cases += 1;
            let case = format!("{} {} body {raw:?}", endpoint.method, endpoint.path);
            failures.extend(
                judge(&case, target.rest(&endpoint, Some("application/json"), Some(raw.as_bytes().to_vec())).await)
                    .await,
            );
        }
    }
    for function in server_functions() {
        for raw in ["%zz", "=&=&", "a=%", "&&&&"] {
            cases += 1;
            let case = format!("server fn {} body {raw:?}", function.name);
            let response = target
                .server_fn(&function, Some("application/x-www-form-urlencoded"), Some(raw.as_bytes().to_vec()))
                .await;
            failures.extend(judge(&case, response).await);
        }
    }
    target.verdict(failures, cases).await;
}

#[tokio::test]
async fn null_in_any_field_is_a_400_everywhere() {
    let target = target().await;
    let (failures, cases) = each_rest_field(&target, "null", |_| Value::Null).await;
    target.verdict(failures, cases).await;
}

#[tokio::test]
async fn a_wrong_type_in_any_field_is_a_400_everywhere() {
    let target = target().await;
    let (mut failures, mut cases) = (Vec::new(), 0);
    for (what, wrong) in [
        ("a number", json!(42)),
        ("a boolean", json!(true)),
        ("an array", json!([PASSWORD])),
        ("an object", json!({"$ne": ""})),
    ] {
        let (more, n) = each_rest_field(&target, what, |_| wrong.clone()).await;
        failures.extend(more);
        cases += n;
    }
    // The optional link base of the seed's front end, wrongly typed.
    for path in ["/api/users", "/api/resend-confirm"] {
        let endpoint = rest_endpoints().into_iter().find(|e| e.path == path).unwrap();
        let mut body = valid_body(endpoint.fields);
        body.insert("confirm_email_base_url".into(), json!({"evil": true}));
        cases += 1;
        failures.extend(
            judge(
                &format!("{path} confirm_email_base_url: an object"),
                target.rest_json(&endpoint, &Value::Object(body)).await,
            )
            .await,
        );
    }
    target.verdict(failures, cases).await;
}

#[tokio::test]
async fn an_unknown_field_is_a_400_everywhere() {
    let target = target().await;
    let (mut failures, mut cases) = (Vec::new(), 0);
    for endpoint in rest_endpoints() {
        for extra in ["confirmed", "is_admin", "id", "Password"] {
            let mut body = valid_body(endpoint.fields);
            body.insert(extra.to_owned(), json!(true));
            cases += 1;
            let case = format!("{} {} with {extra}", endpoint.method, endpoint.path);
            failures.extend(judge(&case, target.rest_json(&endpoint, &Value::Object(body)).await).await);
        }
    }
    target.verdict(failures, cases).await;
}

#[tokio::test]
async fn a_1_mib_string_in_any_field_is_a_413_everywhere() {
    let target = target().await;
    let huge = "x".repeat(1024 * 1024);
    let (mut failures, mut cases) = each_rest_field(&target, "1 MiB", |_| Value::from(huge.as_str())).await;
    let (more, n) = each_server_fn_arg(&target, "1 MiB", |_| huge.clone()).await;
    failures.extend(more);
    cases += n;
    target.verdict(failures, cases).await;
}

#[tokio::test]
async fn a_64_kib_password_is_refused_before_hashing() {
    let target = target().await;
    // Just under the body limit: the policy refuses it (it allows 128 characters) before any
    // hash is computed; just over it, the body limit does.
    let long = "p".repeat(60 * 1024);
    let too_big = "p".repeat(64 * 1024);
    let endpoints = rest_endpoints();
    let mut failures = Vec::new();
    for (path, field, body_of) in [
        ("/api/users", "password", json!({"username": "longpw", "email": "longpw@example.com"})),
        ("/api/reset-password/not-a-token", "password", json!({})),
        ("/api/update-password", "new_password", json!({"old_password": PASSWORD})),
    ] {
        let endpoint = endpoints.iter().find(|e| e.path == path).unwrap();
        for (size, password, status) in [("60 KiB", &long, 400), ("64 KiB", &too_big, 413)] {
            let mut body = body_of.clone();
            body[field] = Value::from(password.as_str());
            let response = target.rest_json(endpoint, &body).await;
            let got = response.status().as_u16();
            let answer: Value = response.json().await.unwrap_or_default();
            let case = format!("{path} {size}");
            if got != status || !answer["message"].is_string() && !answer["message"].is_object() {
                failures.push(format!("  {case}: {got} {answer}"));
            }
        }
    }
    target.verdict(failures, 6).await;
}

#[tokio::test]
async fn nul_and_control_characters_in_any_field_are_a_4xx_everywhere() {
    let target = target().await;
    let (mut failures, mut cases) = (Vec::new(), 0);
    for (what, inject) in
        [("NUL", "\0"), ("BEL", "\u{7}"), ("ESC", "\u{1b}[31m"), ("DEL", "\u{7f}"), ("C1 NEL", "\u{85}")]
    {
        let (more, n) =
            each_rest_field(&target, what, |valid| Value::from(format!("{}{inject}{}", &valid[..2], &valid[2..])))
                .await;
        failures.extend(more);
        cases += n;
        let (more, n) =
            each_server_fn_arg(&target, what, |valid| format!("{}{inject}{}", &valid[..2], &valid[2..])).await;
        failures.extend(more);
        cases += n;
    }
    target.verdict(failures, cases).await;
}

#[tokio::test]
async fn crlf_in_any_field_that_reaches_a_mail_header_is_refused_and_no_header_is_injected() {
    let target = target().await;
    let (mut failures, mut cases) = (Vec::new(), 0);
    let injections = ["\r\nBcc: attacker@evil.example", "\nBcc: attacker@evil.example", "\r\n\r\nInjected body"];
    // The address is the To header; the username is written into the mail and its greeting.
    let mail_fields = [
        ("/api/users", "email"),
        ("/api/users", "username"),
        ("/api/reset-password-request", "email"),
        ("/api/change-email", "new_email"),
        ("/api/reset-password-code", "email"),
    ];
    for (path, field) in mail_fields {
        let endpoint = rest_endpoints().into_iter().find(|e| e.path == path).unwrap();
        let valid = endpoint.fields.iter().find(|(f, _)| *f == field).unwrap().1;
        for injection in injections {
            let mut body = valid_body(endpoint.fields);
            body.insert(field.to_owned(), Value::from(format!("{valid}{injection}")));
            cases += 1;
            let case = format!("{path} {field} + {injection:?}");
            failures.extend(judge(&case, target.rest_json(&endpoint, &Value::Object(body)).await).await);
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let recipients = target.app.smtp.recipients();
    assert!(recipients.iter().all(|r| !r.contains("evil.example")), "{recipients:?}");
    for mail in target.app.smtp.mails() {
        assert!(!mail.to_string().contains("Injected body") && !mail.to_string().contains("Bcc"), "{mail}");
    }
    target.verdict(failures, cases).await;
}

#[tokio::test]
async fn look_alikes_and_case_variants_of_a_taken_name_or_address_take_nothing_over() {
    let target = target().await;
    let app = &target.app;
    let register = |name: &str, email: &str| {
        let (name, email) = (name.to_owned(), email.to_owned());
        async move { app.register(&name, &email, PASSWORD).await }
    };
    // Names: a case variant is the same name (taken); a Unicode look-alike is no name at all.
    for name in ["VICTIM", "Victim", " victim "] {
        let body = crate::helpers::error_body(register(name, "someone@example.com").await, 400).await;
        assert_eq!(body["message"]["username"], "Please use a different username.", "{name}");
    }
    for name in ["vіctim", "ｖｉｃｔｉｍ", "victim\u{200b}", "vict\u{0131}m", "victim\u{301}"] {
        let body = crate::helpers::error_body(register(name, "someone@example.com").await, 400).await;
        assert!(body["message"]["username"].is_string(), "{name}: {body}");
    }
    // Addresses: a case variant is the same inbox: the answer of a new registration, and no
    // account; an invisible character makes no address.
    for email in ["VICTIM@example.com", "victim@EXAMPLE.COM"] {
        assert_eq!(register("variant", email).await.status(), 201, "{email}");
    }
    for email in ["vic\u{200b}tim@example.com", "victim\u{202e}@example.com"] {
        let body = crate::helpers::error_body(register("variant", email).await, 400).await;
        assert!(body["message"]["email"].is_string(), "{email}: {body}");
    }
    // Logging in by any case variant finds the one account; a look-alike finds none.
    assert_eq!(app.login("VICTIM@Example.com", PASSWORD).await.status(), 200);
    assert_eq!(app.login("vіctim", PASSWORD).await.status(), 401);
    assert_eq!(snapshot(app).await["users"], target.before["users"], "no account was made or changed");
}

#[tokio::test]
async fn sql_metacharacters_are_only_ever_data() {
    let target = target().await;
    let app = &target.app;
    let nasty = [
        "' OR '1'='1",
        "victim'--",
        "\"; DROP TABLE users; --",
        "%' OR 1=1 --",
        "\\' OR 1=1#",
        "1; SELECT pg_sleep(5)",
    ];
    let mut failures = Vec::new();
    for value in nasty {
        // As login names and passwords: nobody gets in.
        let response = app.login(value, value).await;
        failures.extend(judge(&format!("login {value:?}"), response).await);
        let response = app.login("victim", value).await;
        failures.extend(judge(&format!("victim with password {value:?}"), response).await);
        // As addresses and names: refused by the parsers.
        let response = app.post_json("/api/reset-password-request", &json!({ "email": value })).await;
        failures.extend(judge(&format!("reset for {value:?}"), response).await);
        let response = app.register(value, "sql@example.com", PASSWORD).await;
        failures.extend(judge(&format!("register {value:?}"), response).await);
        let response = app
            .client
            .get(app.url(&format!("/api/users/{}", urlencode(value))))
            .bearer_auth(&target.confirmed)
            .send()
            .await
            .unwrap();
        failures.extend(judge(&format!("GET /api/users/{value:?}"), response).await);
        let response = app
            .client
            .delete(app.url(&format!("/api/sessions/{}", urlencode(value))))
            .bearer_auth(&target.confirmed)
            .send()
            .await
            .unwrap();
        failures.extend(judge(&format!("DELETE /api/sessions/{value:?}"), response).await);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(snapshot(app).await["users"], target.before["users"], "every table is still there, unchanged");

    // Where metacharacters are allowed (an address's local part, a password), they are stored and
    // compared as the characters they are.
    let quoted = "o'brien+test@example.com";
    let password = "' OR '1'='1 -- long enough";
    assert_eq!(app.register("obrien", quoted, password).await.status(), 201);
    assert_eq!(app.login(quoted, password).await.status(), 200);
    assert_eq!(app.login(quoted, "' OR '1'='1").await.status(), 401);
}

#[tokio::test]
async fn garbage_in_path_parameters_is_a_4xx() {
    let target = target().await;
    let app = &target.app;
    let long = "a".repeat(4096);
    let mut failures = Vec::new();
    let mut cases = 0;
    for value in ["%00", "%0d%0aX-Injected:%201", "..%2f..%2fetc%2fpasswd", "%ff%fe", long.as_str(), "' OR 1=1 --"] {
        for (method, path, session) in [
            (Method::GET, format!("/api/users/{value}"), Some(&target.confirmed)),
            (Method::DELETE, format!("/api/sessions/{value}"), Some(&target.confirmed)),
            (Method::GET, format!("/api/confirm/{value}"), Some(&target.unconfirmed)),
            (Method::POST, format!("/api/confirm-email-change/{value}"), Some(&target.confirmed)),
            (Method::POST, format!("/api/revert-email-change/{value}"), None),
            (Method::POST, format!("/api/secure-account/{value}"), None),
        ] {
            let mut request = app.client.request(method.clone(), app.url(&path));
            if let Some(session) = session {
                request = request.bearer_auth(session);
            }
            cases += 1;
            let case = format!("{method} {}", &path[..path.len().min(80)]);
            failures.extend(judge(&case, request.send().await.unwrap()).await);
        }
    }
    target.verdict(failures, cases).await;
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
