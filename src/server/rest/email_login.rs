//! REST adapters for sign-in by email: asking for a code, finishing with it in the browser that
//! asked, polling for an approval, and the other device's question and approval.

use super::answer::success;
use crate::{
    domain::FlowState,
    error::AppError,
    i18n::{Msg, request as locale},
    server::{
        http::extract::{ApiJson, ClientIp},
        identity::Device,
        services::{email_approval, email_login},
        state::AppState,
    },
};
use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AskForm {
    email: Option<String>,
}

/// `POST /api/email-login {email}` → 200 `{flow, handle, number, message}`, the same for every
/// address, in shape and in time.
pub(super) async fn ask(
    State(state): State<AppState>,
    device: Device,
    ApiJson(form): ApiJson<AskForm>,
) -> Result<Json<Value>, AppError> {
    let started = email_login::ask(&state, &device, form.email.as_deref().unwrap_or_default()).await?;
    let message = Msg::EmailLoginSent.text(locale::current().text());
    Ok(Json(json!({
        "flow": started.flow, "handle": started.handle, "number": started.number, "message": message,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VerifyForm {
    flow: Option<String>,
    code: Option<String>,
}

/// `POST /api/email-login/verify {flow, code}` → 200 `{token}`, as `POST /api/tokens`.
pub(super) async fn verify(
    State(state): State<AppState>,
    device: Device,
    ApiJson(form): ApiJson<VerifyForm>,
) -> Result<Json<Value>, AppError> {
    let (flow, code) = (form.flow.unwrap_or_default(), form.code.unwrap_or_default());
    let token = email_login::verify(&state, &device, &flow, &code).await?;
    Ok(Json(json!({ "token": token })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PollForm {
    flow: Option<String>,
}

/// `POST /api/email-login/poll {flow}` → 202 `{state: "pending", by_number}`; 200 `{state:
/// "signed_in", token}` once approved (this once); 200 `{state: "done"}` when another tab of the
/// browser finished it; 400 when it has ended.
pub(super) async fn poll(
    State(state): State<AppState>,
    device: Device,
    ApiJson(form): ApiJson<PollForm>,
) -> Result<Response, AppError> {
    Ok(match email_login::poll(&state, &device, &form.flow.unwrap_or_default()).await? {
        FlowState::Pending { by_number } => {
            (StatusCode::ACCEPTED, Json(json!({ "state": "pending", "by_number": by_number }))).into_response()
        }
        FlowState::SignedIn { token } => Json(json!({ "state": "signed_in", "token": token })).into_response(),
        FlowState::Done => Json(json!({ "state": "done" })).into_response(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DescribeForm {
    handle: Option<String>,
}

/// `POST /api/email-login/describe {handle}` → 200 `{device, network, asked_at, by_number}`: the
/// approving page's question. A POST, like every lookup here: a GET changes nothing, and this one
/// spends the client's allowance.
pub(super) async fn describe(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(form): ApiJson<DescribeForm>,
) -> Result<Json<Value>, AppError> {
    let question = email_approval::describe(&state, client, &form.handle.unwrap_or_default()).await?;
    Ok(Json(json!(question)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ApproveForm {
    handle: Option<String>,
    code: Option<String>,
    number: Option<String>,
}

/// `POST /api/email-login/approve {handle, code, number}` → 200; the approving device gets no
/// session. Without a number, a 400 that changes nothing.
pub(super) async fn approve(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(form): ApiJson<ApproveForm>,
) -> Result<Json<Value>, AppError> {
    let (handle, code) = (form.handle.unwrap_or_default(), form.code.unwrap_or_default());
    email_approval::approve(&state, client, &handle, &code, &form.number.unwrap_or_default()).await?;
    Ok(success(Msg::EmailLoginApproved))
}
