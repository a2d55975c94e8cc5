//! What a database-held rate limit costs per request, on SQLite and PostgreSQL: one `spend` (the
//! atomic upsert every limited request makes), the six statements of a successful login, and a
//! bare `SELECT 1` round trip for scale. Figures, not assertions.
//!
//! `cargo bench --features ssr --bench limits_cost` measures a fresh SQLite file; with
//! `BENCH_POSTGRES_URL` (an admin URL, as `TEST_DATABASE_URL` in the tests) it measures a fresh
//! PostgreSQL database too.

#[path = "bench_util.rs"]
mod bench_util;

use bench_util::{databases, report, sample};
use madblog::server::{
    config::database::SqliteSync,
    db,
    limits::{
        Allowance, LOGIN_HASHES_PER_NAME, LOGIN_PER_NAME, LOGIN_PER_NETWORK, Limiter, password_hashes_per_network,
    },
    network::ClientNetwork,
};
use std::time::Instant;

const SEQUENTIAL: usize = 2_000;
const CONCURRENT_TASKS: usize = 16;
const PER_TASK: usize = 250;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    for (label, pool) in databases(dir.path(), &[SqliteSync::Full, SqliteSync::Normal]).await? {
        measure(&label, &pool).await?;
    }
    Ok(())
}

async fn measure(label: &str, pool: &db::Pool) -> anyhow::Result<()> {
    let pool = pool.clone();
    let limiter = Limiter::new(pool.clone(), b"bench secret bench secret bench secret");
    println!("\n{label}");

    let ping = sample(SEQUENTIAL, |_| {
        let pool = pool.clone();
        async move {
            sqlx::query("SELECT 1").execute(&pool).await?;
            Ok(())
        }
    })
    .await?;
    report("SELECT 1 (round trip)", &ping);

    // Distinct subjects: every call inserts, as for a flood of different names or addresses.
    let spend = sample(SEQUENTIAL, |i| {
        let limiter = limiter.clone();
        async move {
            let _ = limiter.spend(&LOGIN_PER_NAME, &format!("name{i}")).await?;
            Ok(())
        }
    })
    .await?;
    report("spend, new subject (insert)", &spend);

    // One subject over and over: the update path, allowed at first and refused after 10.
    let refused = sample(SEQUENTIAL, |_| {
        let limiter = limiter.clone();
        async move {
            let _ = limiter.spend(&LOGIN_PER_NAME, "one name").await?;
            Ok(())
        }
    })
    .await?;
    report("spend, same subject (refused: + one read)", &refused);

    // What a successful login adds: spend the network's failures and hashes, the name's failures
    // and hashes, clear the name's failures, give back the network's failure.
    let hashes = password_hashes_per_network(300);
    let login = sample(SEQUENTIAL / 2, |i| {
        let limiter = limiter.clone();
        async move {
            let network = ClientNetwork::of(std::net::Ipv4Addr::new(10, 0, (i / 256) as u8, i as u8).into());
            let name = format!("user{i}");
            let _ = limiter
                .spend_in_turn(&[
                    (Allowance::Network(&LOGIN_PER_NETWORK, network), ()),
                    (Allowance::Network(&hashes, network), ()),
                    (Allowance::Subject(&LOGIN_PER_NAME, &name), ()),
                    (Allowance::Subject(&LOGIN_HASHES_PER_NAME, &name), ()),
                ])
                .await?;
            limiter.clear(&LOGIN_PER_NAME, &name).await?;
            limiter.give_back_network(&LOGIN_PER_NETWORK, network).await?;
            Ok(())
        }
    })
    .await?;
    report("successful login's six statements", &login);

    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENT_TASKS)
        .map(|t| {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                for i in 0..PER_TASK {
                    let _ = limiter.spend(&LOGIN_PER_NAME, &format!("c{t}-{i}")).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let total = CONCURRENT_TASKS * PER_TASK;
    println!(
        "  {:<44} {:>9.0} spends/s ({} tasks)",
        "spend, concurrent",
        total as f64 / started.elapsed().as_secs_f64(),
        CONCURRENT_TASKS
    );
    pool.close().await;
    Ok(())
}
