//! Everything that runs only on the server (`ssr`): configuration, the HTTP stack, the database,
//! authentication and the use cases.

pub mod assets;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod email;
pub mod headers;
pub mod http;
pub mod limits;
pub mod locale;
pub mod metrics;
pub mod network;
pub mod proxy;
pub mod rest;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;

/// Runs `tick` every `every` (first after one period) until `stop` fires; a tick in progress is
/// finished, never cut short. The background chores (sweeping rate limits, freeing idle hash
/// memory) share this loop.
pub fn spawn_every<F, Fut>(
    every: std::time::Duration,
    stop: tokio_util::sync::CancellationToken,
    mut tick: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
            tick().await;
        }
    })
}
