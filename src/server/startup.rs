//! Assembling the application: database, state, routes, middleware, background workers; serving
//! until a signal, then stopping cleanly.

use crate::{
    app::{App, shell},
    i18n::Locale,
    server::{
        auth::{password::PasswordHasher, tokens::TokenKeys},
        config::Settings,
        db::{self, event_writer::EventWriter},
        email::{
            self,
            suppression::Suppressions,
            transport::Transport,
            worker::{Wakeup, WorkerConfig},
        },
        http::{
            assets, dev_mailbox,
            error::{json_errors, method_not_allowed, server_fn_status},
            extract::{BODY_LIMIT, ClientIp},
            headers, locale, mail_events, metrics,
            middleware::{redact_path, renew_sessions, resolve_client},
        },
        limits::Limiter,
        memory, metrics as counters, rest,
        state::AppState,
    },
};
use anyhow::Context;
use axum::{
    Router,
    body::Body,
    extract::{ConnectInfo, DefaultBodyLimit, State},
    http::{HeaderValue, Request, StatusCode, header},
    middleware::{from_fn, from_fn_with_state, map_response},
    response::Response,
    routing::get,
};
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
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
    workers: Vec<tokio::task::JoinHandle<()>>,
    /// Stops the background workers, once the requests have drained: mail queued by the last
    /// requests still has its chance to go out before the process exits.
    stop_workers: CancellationToken,
}

/// How long a clean stop waits for requests in flight before it lets go of them.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);

impl Application {
    /// Connects and migrates the database and binds `leptos_options.site_addr` (port 0 picks a
    /// free port, for tests).
    ///
    /// # Errors
    /// If the database is unreachable or the address can't be bound.
    pub async fn build(settings: Settings, leptos_options: LeptosOptions) -> anyhow::Result<Self> {
        counters::init();
        let pool = db::connect_with(&settings.database.url, settings.database.sqlite_sync).await?;
        let transport = Arc::new(Transport::from_settings(&settings)?);
        let mail = Wakeup::default();
        let worker = WorkerConfig {
            max_attempts: settings.mail.max_attempts,
            backoff_cap: settings.mail.backoff_cap,
            lease: settings.mail.lease,
            send_timeout: transport.longest_send(),
            poll: Duration::from_secs(1),
            suppressions: Suppressions::new(settings.secret_key.expose().as_bytes(), settings.mail.suppress_for),
        };
        let dev_mailbox = match transport.as_ref() {
            Transport::DevMailbox { dir, .. } => Some(dir.clone()),
            Transport::Smtp { .. } => None,
        };
        let stop_workers = CancellationToken::new();
        let limits = Limiter::new(pool.clone(), settings.secret_key.expose().as_bytes());
        let hasher = PasswordHasher::new().await?;
        let workers = vec![
            email::worker::spawn(pool.clone(), transport, worker, mail.clone(), stop_workers.clone()),
            limits.spawn_sweeper(Duration::from_secs(60), stop_workers.clone()),
            // 30 s without a hash: the load has passed, give the 19 MiB areas back.
            hasher.spawn_idle_release(Duration::from_secs(10), Duration::from_secs(30), stop_workers.clone()),
            // A tick without requests: the load has passed, give the heap's free pages back.
            memory::spawn_trim_when_quiet(Duration::from_secs(10), stop_workers.clone()),
            counters::spawn_upkeep(Duration::from_secs(5), stop_workers.clone()),
        ];
        let housekeeping_stop = stop_workers.clone();
        let (events, event_writer) = EventWriter::spawn(pool.clone(), stop_workers.clone());
        let state = AppState {
            events,
            mail,
            tokens: Arc::new(TokenKeys::from_secret(settings.secret_key.expose().as_bytes())),
            hasher,
            limits,
            settings: Arc::new(settings),
            pool,
            leptos_options: Arc::new(leptos_options.clone()),
            background: TaskTracker::new(),
            shutdown: CancellationToken::new(),
        };
        let mut workers = workers;
        workers.push(crate::server::services::lifecycle::spawn(state.clone(), housekeeping_stop));
        workers.push(event_writer);
        let listener = TcpListener::bind(leptos_options.site_addr)
            .await
            .with_context(|| format!("could not listen on {}", leptos_options.site_addr))?;
        let router = router(state.clone(), dev_mailbox);
        Ok(Self { listener, router, state, workers, stop_workers })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT/SIGTERM, then stops cleanly: no new connections, requests in flight
    /// finish (for up to 30 s), and so does work they left behind (queueing a reset mail); then the
    /// mail worker finishes the mails it is sending and hands the claimed ones it hasn't started
    /// back to the queue, for other servers or the next start.
    ///
    /// # Errors
    /// If the server fails.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Self { listener, router, state, workers, stop_workers } = self;
        tracing::info!(addr = %listener.local_addr()?, app_url = %state.settings.app_url, "listening");
        let stop = state.shutdown.clone();
        let signalled = {
            let stop = stop.clone();
            async move {
                shutdown_signal().await;
                tracing::info!("stopping: finishing requests in flight and the mail being sent");
                stop.cancel();
            }
        };
        // Connect info gives the client-address middleware the peer address.
        let serve = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(signalled);
        let overdue = async {
            stop.cancelled().await;
            tokio::time::sleep(DRAIN_LIMIT).await;
        };
        tokio::select! {
            served = serve => served?,
            () = overdue => tracing::warn!("stopping: requests still running after {DRAIN_LIMIT:?}; leaving them"),
        }
        state.background.close();
        state.background.wait().await;
        stop_workers.cancel();
        for worker in workers {
            if let Err(e) = worker.await {
                tracing::warn!(error = %e, "a background worker ended badly");
            }
        }
        state.pool.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

fn router(state: AppState, dev_mailbox: Option<PathBuf>) -> Router {
    let routes = generate_route_list(App);
    let leptos_options = LeptosOptions::clone(&state.leptos_options);
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::endpoint));
    if let Some(dir) = dev_mailbox {
        let dir = Arc::new(dir);
        router = router.route(
            "/dev/mailbox",
            get(move |locale: Locale, state: State<AppState>, request: Request<Body>| {
                dev_mailbox_page(dir.clone(), locale, state, request)
            }),
        );
    }
    let mut api = rest::router();
    if let Some(cors) = headers::cors(&state.settings.http.cors_allowed_origins) {
        api = api.layer(cors);
    }
    router
        .merge(api)
        .merge(assets::bundle_routes(&state.leptos_options))
        .leptos_routes_with_context(&state, routes, || {}, move || shell(leptos_options.clone()))
        // After every route, so each of them answers a wrong method with the JSON error.
        .method_not_allowed_fallback(method_not_allowed)
        // After every route, so each of them notes its name for the request metrics.
        .route_layer(from_fn(metrics::note_route))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(from_fn(server_fn_status))
        .layer(from_fn(renew_sessions))
        .layer(from_fn(metrics::track_http))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        // Outside the limit layer, so its early 413 (declared length too big) is rewritten too.
        .layer(from_fn(json_errors))
        .layer(map_response(assets::html_no_cache))
        // After the API's body limit and JSON rules: a report is a raw message of up to 1 MiB.
        .merge(mail_events::router())
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .extensions()
                    .get::<RequestId>()
                    .and_then(|id| id.header_value().to_str().ok())
                    .unwrap_or_default();
                let client = ClientIp::of(req.extensions()).0;
                // Only the path, redacted: query strings and some paths carry tokens.
                tracing::info_span!("request", id = %id, %client, method = %req.method(), path = %redact_path(req.uri().path()))
            })
            .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        // Outside every layer that may write an error, so each one writes it in the request's
        // language.
        .layer(from_fn(locale::negotiate))
        // Outside the trace layer, so the request's span already knows the client.
        .layer(from_fn_with_state(state.clone(), resolve_client))
        // Reset and confirmation pages carry tokens in their URLs: never send them on as Referer.
        // The others are the usual hardening for pages that embed nothing from elsewhere.
        .layer(from_fn_with_state(state.clone(), headers::security_headers))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// `/dev/mailbox`, for a client on this machine only; anyone else gets exactly what a page that
/// doesn't exist gets, so they don't even learn it is there.
async fn dev_mailbox_page(
    dir: Arc<PathBuf>,
    locale: Locale,
    state: State<AppState>,
    request: Request<Body>,
) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    if dev_mailbox::is_local(peer, ClientIp::of(request.extensions()).0, request.headers()) {
        return dev_mailbox::page(&dir, locale).await;
    }
    tracing::info!("dev mailbox: not shown to a client elsewhere (its links are live); open it on this machine");
    let uri = request.uri().clone();
    leptos_axum::file_and_error_handler::<AppState, _>(shell)(uri, state, request).await
}

/// Liveness: 200 while the process serves at all. It asks nothing of the database, so a database
/// outage doesn't get every server restarted.
async fn healthz() -> (StatusCode, &'static str) {
    (StatusCode::OK, "ok")
}

/// Readiness, for load balancers: 200 when the database answers within 2 s; 503 when it doesn't,
/// or once the server is stopping.
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "stopping");
    }
    let ping = tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(&state.pool)).await;
    match ping {
        Ok(Ok(_)) => (StatusCode::OK, "ready"),
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
