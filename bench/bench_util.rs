//! What the Rust benches share: the databases to measure in, timing a sequence of operations, and
//! printing percentiles.

use madblog::server::{
    config::{database::SqliteSync, secret::Secret},
    db,
};
use std::time::{Duration, Instant};

/// A fresh SQLite file in `dir` for each of `syncs`, and a fresh PostgreSQL database when
/// `BENCH_POSTGRES_URL` names an admin URL (as `TEST_DATABASE_URL` in the tests), each labelled.
pub async fn databases(dir: &std::path::Path, syncs: &[SqliteSync]) -> anyhow::Result<Vec<(String, db::Pool)>> {
    let mut out = Vec::new();
    for &sync in syncs {
        let label = if sync == SqliteSync::Full { "full" } else { "normal" };
        let url = Secret::new(format!("sqlite://{}/bench-{label}.db", dir.display()));
        out.push((format!("SQLite (WAL, synchronous={label})"), db::connect_with(&url, sync).await?));
    }
    match std::env::var("BENCH_POSTGRES_URL") {
        Ok(admin) if !admin.is_empty() => {
            let url = Secret::new(fresh_postgres(&admin).await?);
            out.push(("PostgreSQL".to_owned(), db::connect(&url).await?));
        }
        _ => println!("(set BENCH_POSTGRES_URL to measure PostgreSQL too)"),
    }
    Ok(out)
}

/// Runs `op(0..n)` one after another and returns the times, sorted.
pub async fn sample<F, Fut>(n: usize, mut op: F) -> anyhow::Result<Vec<Duration>>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let start = Instant::now();
        op(i).await?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times)
}

/// The median and the 99th percentile of sorted times, in microseconds.
pub fn percentiles(sorted: &[Duration]) -> (f64, f64) {
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    (at(0.5), at(0.99))
}

pub fn report(what: &str, sorted: &[Duration]) {
    let (p50, p99) = percentiles(sorted);
    println!("  {what:<44} p50 {p50:>8.0} µs   p99 {p99:>8.0} µs");
}

/// Creates an empty database next to the one `admin_url` names, and returns its URL.
async fn fresh_postgres(admin_url: &str) -> anyhow::Result<String> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let name = format!("madblog_bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::AnyConnection::connect(admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
    let base = &admin_url[..admin_url.rfind('/').expect("a database URL has a path")];
    Ok(format!("{base}/{name}"))
}
