//! argon2id hashing, run off the async runtime and bounded so a burst of logins can't starve it.

use crate::domain::Password;
use anyhow::Context;
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier, Version, password_hash::SaltString,
};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Hashes and verifies passwords with argon2id (m = 19 MiB, t = 2, p = 1: OWASP's baseline).
///
/// Each hash takes tens of milliseconds of one core and 19 MiB, so it runs in `spawn_blocking`
/// behind a semaphore of one permit per core: extra requests wait in line instead of piling threads
/// and memory onto the blocking pool.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// A real hash of a random password: unknown users are checked against it, so a login for a
    /// name that doesn't exist costs the same as a wrong password.
    dummy_hash: Arc<str>,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl PasswordHasher {
    /// # Errors
    /// If the dummy hash can't be computed (never in practice).
    pub async fn new() -> anyhow::Result<Self> {
        let permits = std::thread::available_parallelism().map_or(2, |n| n.get());
        let permits = Arc::new(Semaphore::new(permits));
        let random: String = uuid::Uuid::new_v4().to_string();
        let dummy_hash = run_limited(&permits, move || hash_blocking(&random)).await??;
        Ok(Self { permits, dummy_hash: dummy_hash.into() })
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) with a fresh random salt.
    ///
    /// # Errors
    /// If the blocking task panics or the pool is shut down.
    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let secret = password.expose().to_owned();
        run_limited(&self.permits, move || hash_blocking(&secret)).await?
    }

    /// Checks `candidate` against `stored`; with `None` (no such user) it checks against the dummy
    /// hash and answers `false`, taking the same time.
    ///
    /// # Errors
    /// If the blocking task fails; a malformed stored hash counts as a mismatch, not an error.
    pub async fn verify(&self, candidate: &str, stored: Option<&str>) -> anyhow::Result<bool> {
        let known = stored.is_some();
        let hash: Arc<str> = stored.map_or_else(|| self.dummy_hash.clone(), Arc::from);
        let candidate = candidate.to_owned();
        let matches = run_limited(&self.permits, move || {
            PasswordHash::new(&hash)
                .map(|parsed| argon2().verify_password(candidate.as_bytes(), &parsed).is_ok())
                .unwrap_or(false)
        })
        .await?;
        Ok(known && matches)
    }
}

fn hash_blocking(secret: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        // The argon2 error never contains the input, but say nothing more than needed.
        .map_err(|_| anyhow::anyhow!("argon2 could not hash the password"))
}

async fn run_limited<T: Send + 'static>(
    permits: &Arc<Semaphore>,
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let permit = permits.clone().acquire_owned().await.context("password hasher is shut down")?;
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let _entered = span.enter();
        work()
    })
    .await
    .context("password hashing task failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_use_argon2id_with_the_chosen_cost() {
        let hasher = PasswordHasher::new().await.unwrap();
        let pw = Password::parse("a long and unusual passphrase".into()).unwrap();
        let hash = hasher.hash(&pw).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(hasher.verify("a long and unusual passphrase", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("a long and unusual passphrasE", Some(&hash)).await.unwrap());
        assert_ne!(hash, hasher.hash(&pw).await.unwrap(), "every hash gets its own salt");
    }

    #[tokio::test]
    async fn unknown_users_and_broken_hashes_never_match() {
        let hasher = PasswordHasher::new().await.unwrap();
        assert!(!hasher.verify("anything at all", None).await.unwrap());
        assert!(!hasher.verify("anything at all", Some("not a phc string")).await.unwrap());
    }
}
