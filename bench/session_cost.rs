//! What the device-session row adds to every authenticated request (issue 10), on SQLite and
//! PostgreSQL. Before sessions had rows, authentication read the account by id; now it reads the
//! session joined to its account, and writes the session's `last_seen` at most once a minute.
//! Figures, not assertions.
//!
//! `cargo bench --features ssr --bench session_cost`; with `BENCH_POSTGRES_URL` (an admin URL) it
//! measures a fresh PostgreSQL database too.

#[path = "bench_util.rs"]
mod bench_util;

use bench_util::{databases, percentiles, report, sample};
use madblog::{
    i18n::Locale,
    server::{
        config::database::SqliteSync,
        db::{
            self,
            sessions::{self, SessionRow},
            users::{self, NewUser},
        },
    },
};
use std::time::Instant;

const ACCOUNTS: usize = 10_000;
const SEQUENTIAL: usize = 4_000;
const CONCURRENT_TASKS: usize = 16;
const PER_TASK: usize = 500;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    for (label, pool) in databases(dir.path(), &[SqliteSync::Normal]).await? {
        measure(&label, &pool).await?;
    }
    Ok(())
}

async fn measure(label: &str, pool: &db::Pool) -> anyhow::Result<()> {
    println!("\n{label}: {ACCOUNTS} accounts, one session each");
    let ids: Vec<(String, String)> =
        (0..ACCOUNTS).map(|_| (uuid::Uuid::new_v4().to_string(), uuid::Uuid::new_v4().to_string())).collect();
    let mut tx = pool.begin().await?;
    for (i, (user, session)) in ids.iter().enumerate() {
        let (name, email) = (format!("bench{i}"), format!("bench{i}@example.com"));
        let user_row = NewUser {
            id: user,
            username: &name,
            username_key: &name,
            email: &email,
            email_key: &email,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            locale: Locale::En,
            now: 1,
        };
        users::insert(&mut *tx, &user_row).await?;
        let row = SessionRow {
            id: session.clone(),
            user_id: user.clone(),
            created_at: 1,
            last_seen: 1,
            ip: "127.0.0.1".into(),
            user_agent: "bench".into(),
            generation: 0,
            generation_used_at: 1,
        };
        sessions::insert(&mut *tx, &row).await?;
    }
    tx.commit().await?;
    let pick = |i: usize| &ids[(i * 7919) % ids.len()];

    // Warm both paths, then time them in alternation, so neither is measured on a colder cache
    // or a busier moment of this shared machine than the other.
    let (mut before, mut after) = (Vec::with_capacity(SEQUENTIAL), Vec::with_capacity(SEQUENTIAL));
    for i in 0..SEQUENTIAL + 500 {
        let (user, session) = pick(i);
        let started = Instant::now();
        users::find_by_id(pool, user).await?.expect("seeded");
        let by_id = started.elapsed();
        let started = Instant::now();
        sessions::find_with_user(pool, session).await?.expect("seeded");
        let joined = started.elapsed();
        if i >= 500 {
            before.push(by_id);
            after.push(joined);
        }
    }
    before.sort();
    after.sort();
    report("before: the account by id", &before);
    report("now: the session joined to its account", &after);
    let (b50, b99) = percentiles(&before);
    let (a50, a99) = percentiles(&after);
    println!(
        "  {:<44} p50 {:>+8.0} µs   p99 {:>+8.0} µs   (× {:.2} at p50)",
        "the row's extra cost",
        a50 - b50,
        a99 - b99,
        a50 / b50
    );

    // The write a request makes when its session's last_seen is a minute old: once a minute per
    // session in use, whatever the request rate.
    let touch = sample(SEQUENTIAL.min(ACCOUNTS), |i| {
        let (pool, sid) = (pool.clone(), ids[i].1.clone());
        async move {
            sessions::touch(&pool, &sid, 1_000_000).await?;
            Ok(())
        }
    })
    .await?;
    report("last_seen write (at most once a minute)", &touch);

    for (what, join) in [("reads/s, account by id", false), ("reads/s, session + account", true)] {
        let started = Instant::now();
        let tasks: Vec<_> = (0..CONCURRENT_TASKS)
            .map(|t| {
                let pool = pool.clone();
                let ids: Vec<_> = (0..PER_TASK).map(|i| pick(t * PER_TASK + i).clone()).collect();
                tokio::spawn(async move {
                    for (user, session) in ids {
                        if join {
                            sessions::find_with_user(&pool, &session).await?;
                        } else {
                            users::find_by_id(&pool, &user).await?;
                        }
                    }
                    anyhow::Ok(())
                })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
        let rate = (CONCURRENT_TASKS * PER_TASK) as f64 / started.elapsed().as_secs_f64();
        println!("  {what:<44} {rate:>9.0} ({CONCURRENT_TASKS} tasks)");
    }
    pool.close().await;
    Ok(())
}
