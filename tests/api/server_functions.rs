//! The UI's server functions call the same services as the REST API, with the same answers.

use crate::helpers::{PASSWORD, spawn_app};
use serde_json::Value;

async fn call(
    app: &crate::helpers::TestApp,
    name: &str,
    form: &[(&str, &str)],
    token: Option<&str>,
) -> reqwest::Response {
    let mut request = app.client.post(app.url(&format!("/api/fn/{name}"))).form(form);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn register_login_and_me_work_through_server_functions() {
    let app = spawn_app().await;

    let registered =
        call(&app, "register", &[("username", "mia"), ("email", "mia@example.com"), ("password", PASSWORD)], None)
            .await;
    assert_eq!(registered.status(), 200);

    let login = call(&app, "login", &[("login", "mia"), ("password", PASSWORD)], None).await;
    assert_eq!(login.status(), 200);
    let token: String = login.json().await.unwrap();
    assert_eq!(app.me(&token).await.status(), 200, "the server function's token works on the REST API");

    let me = call(&app, "me", &[], Some(&token)).await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["username"], "mia");
}

#[tokio::test]
async fn server_function_errors_carry_the_right_status_and_field_messages() {
    let app = spawn_app().await;

    let invalid = call(&app, "register", &[("username", "x"), ("email", "nope"), ("password", "short")], None).await;
    assert_eq!(invalid.status(), 400);
    let body: Value = invalid.json().await.unwrap();
    let fields = &body["kind"]["Validation"];
    assert!(fields["username"].is_string() && fields["email"].is_string() && fields["password"].is_string(), "{body}");

    let wrong = call(&app, "login", &[("login", "nobody"), ("password", PASSWORD)], None).await;
    assert_eq!(wrong.status(), 401);

    let anonymous = call(&app, "me", &[], None).await;
    assert_eq!(anonymous.status(), 401);

    let missing_args = call(&app, "login", &[("login", "x")], None).await;
    assert_eq!(missing_args.status(), 400);
}

#[tokio::test]
async fn an_oversized_server_function_body_gets_413() {
    let app = spawn_app().await;
    let big = "x".repeat(70 * 1024);
    let response = call(&app, "login", &[("login", &big), ("password", "x")], None).await;
    assert_eq!(response.status(), 413);
}
