//! The `madblog` binary: serves the app (see `server::cli`).

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    madblog::server::memory::hand_back_large_areas();
    madblog::server::cli::main().await
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser half is a library (`hydrate`); this binary only exists with `--features ssr`.
}
