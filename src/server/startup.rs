//! Assembling the application: database, state, routes, middleware; serving until shutdown.

use crate::{
    app::{App, shell},
    server::{
        auth::{password::PasswordHasher, tokens::TokenKeys},
        config::Settings,
        db,
        email::{
            self,
            transport::Transport,
            worker::{Wakeup, WorkerConfig},
        },
        http::{BODY_LIMIT, json_payload_too_large, redact_path, server_fn_status},
        rest,
        state::{AppState, Limits},
    },
};
use anyhow::Context;
use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    http::{HeaderValue, Request, StatusCode, header},
    middleware::{from_fn, map_response},
    routing::get,
};
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tower_http::{
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Connects and migrates the database and binds `leptos_options.site_addr` (port 0 picks a
    /// free port, for tests).
    ///
    /// # Errors
    /// If the database is unreachable or the address can't be bound.
    pub async fn build(settings: Settings, leptos_options: LeptosOptions) -> anyhow::Result<Self> {
        let pool = db::connect(&settings.database_url).await?;
        let transport = Arc::new(Transport::from_settings(&settings)?);
        let mail = Wakeup::default();
        let worker = WorkerConfig {
            max_attempts: settings.mail_max_attempts,
            backoff_cap: settings.mail_backoff_cap,
            lease: settings.mail_lease,
            poll: Duration::from_secs(1),
        };
        let dev_mailbox = match transport.as_ref() {
            Transport::DevMailbox { dir, .. } => Some(dir.clone()),
            Transport::Smtp { .. } => None,
        };
        email::worker::spawn(pool.clone(), transport, worker, mail.clone());
        let state = AppState {
            mail,
            mail_gate: Arc::default(),
            tokens: Arc::new(TokenKeys::from_secret(settings.secret_key.expose().as_bytes())),
            hasher: PasswordHasher::new().await?,
            limits: Arc::new(Limits::new(&settings)),
            settings: Arc::new(settings),
            pool,
            leptos_options: leptos_options.clone(),
        };
        let listener = TcpListener::bind(leptos_options.site_addr)
            .await
            .with_context(|| format!("could not listen on {}", leptos_options.site_addr))?;
        let router = router(state.clone(), dev_mailbox);
        Ok(Self { listener, router, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT/SIGTERM, then lets in-flight requests finish.
    ///
    /// # Errors
    /// If the server fails.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        tracing::info!(addr = %self.listener.local_addr()?, app_url = %self.state.settings.app_url, "listening");
        // Connect info gives handlers the peer address, for per-address rate limits.
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        tracing::info!("stopped");
        Ok(())
    }
}

fn router(state: AppState, dev_mailbox: Option<PathBuf>) -> Router {
    let routes = generate_route_list(App);
    let leptos_options = state.leptos_options.clone();
    let mut router = Router::new().route("/healthz", get(healthz));
    if let Some(dir) = dev_mailbox {
        router = router.route("/dev/mailbox", get(move || async move { email::dev_mailbox::page(&dir).await }));
    }
    router
        .merge(rest::router())
        .leptos_routes_with_context(&state, routes, || {}, move || shell(leptos_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(from_fn(server_fn_status))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        // Outside the limit layer, so its early 413 (declared length too big) is rewritten too.
        .layer(map_response(json_payload_too_large))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .extensions()
                    .get::<RequestId>()
                    .and_then(|id| id.header_value().to_str().ok())
                    .unwrap_or_default();
                // Only the path, redacted: query strings and some paths carry tokens.
                tracing::info_span!("request", id = %id, method = %req.method(), path = %redact_path(req.uri().path()))
            })
            .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        // Reset and confirmation pages carry tokens in their URLs: never send them on as Referer.
        // The others are the usual hardening for pages that embed nothing from elsewhere.
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// 200 once the database answers a query.
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    let ping = tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(&state.pool)).await;
    match ping {
        Ok(Ok(_)) => (StatusCode::OK, "ok"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
}
