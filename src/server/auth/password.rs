//! argon2id hashing, run off the async runtime and bounded so a burst of logins can't starve it.

use crate::domain::Password;
use anyhow::Context;
use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, PasswordVerifier, Version,
    password_hash::{Output, ParamsString, Salt, SaltString},
};
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::sync::Semaphore;

/// Hashes and verifies passwords with argon2id (m = 19 MiB, t = 2, p = 1: OWASP's baseline).
///
/// Each hash takes tens of milliseconds of one core and 19 MiB, so it runs in `spawn_blocking`
/// behind a semaphore of one permit per core: extra requests wait in line instead of piling threads
/// and memory onto the blocking pool.
///
/// The 19 MiB work area of each permit is allocated once and reused while hashes keep coming.
/// Allocating it per hash made glibc's allocator raise its mmap threshold and keep every freed
/// area: the server grew past 1 GB of RSS after a few hundred registrations (measured), and each
/// hash paid for faulting in fresh pages. With reuse, memory stays at permits × 19 MiB under load.
/// Those areas are most of what a busy server holds beyond idle (38 of 65 MiB after a load run),
/// so `spawn_idle_release` hands them back to the system once hashing has stopped for a while;
/// the first hash after that pays for faulting in a fresh area (a few ms).
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    work_areas: Arc<Mutex<WorkAreas>>,
    /// A real hash of a random password: unknown users are checked against it, so a login for a
    /// name that doesn't exist costs the same as a wrong password.
    dummy_hash: Arc<str>,
}

const M_COST_KIB: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
const OUTPUT_LEN: usize = 32;

fn params() -> Params {
    Params::new(M_COST_KIB, T_COST, P_COST, Some(OUTPUT_LEN)).expect("constant argon2 parameters are valid")
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

impl PasswordHasher {
    /// # Errors
    /// If the dummy hash can't be computed (never in practice).
    pub async fn new() -> anyhow::Result<Self> {
        let permits = std::thread::available_parallelism().map_or(2, |n| n.get());
        let hasher = Self {
            permits: Arc::new(Semaphore::new(permits)),
            work_areas: Arc::new(Mutex::new(WorkAreas { free: Vec::new(), last_returned: Instant::now() })),
            dummy_hash: Arc::from(""),
        };
        let random = Password::parse(uuid::Uuid::new_v4().to_string()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let dummy_hash = hasher.hash(&random).await?;
        Ok(Self { dummy_hash: dummy_hash.into(), ..hasher })
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) with a fresh random salt.
    ///
    /// # Errors
    /// If the blocking task panics or the pool is shut down.
    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let secret = password.expose().to_owned();
        let areas = self.work_areas.clone();
        run_limited(&self.permits, move || {
            let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
            with_work_area(&areas, |area| compute(area, secret.as_bytes(), salt.as_salt()))
                .map(|hash| hash.to_string())
                // The argon2 error never contains the input, but say nothing more than needed.
                .map_err(|_| anyhow::anyhow!("argon2 could not hash the password"))
        })
        .await?
    }

    /// Checks `candidate` against `stored`; with `None` (no such user), or a stored value that is
    /// not a PHC string (a [`lock_marker`], or anything else), it checks against the dummy hash
    /// and answers `false`, taking the same time: a locked account is not faster to refuse.
    ///
    /// # Errors
    /// If the blocking task fails; a malformed stored hash counts as a mismatch, not an error.
    pub async fn verify(&self, candidate: &str, stored: Option<&str>) -> anyhow::Result<bool> {
        let stored: Option<Arc<str>> = stored.map(Arc::from);
        let dummy = self.dummy_hash.clone();
        let candidate = candidate.to_owned();
        let areas = self.work_areas.clone();
        run_limited(&self.permits, move || {
            let (parsed, known) = match stored.as_deref().map(PasswordHash::new) {
                Some(Ok(parsed)) => (parsed, true),
                _ => (PasswordHash::new(&dummy).expect("the dummy hash is a PHC string we made"), false),
            };
            let matches = if uses_current_parameters(&parsed) {
                let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
                    return false;
                };
                // `Output` compares in constant time.
                with_work_area(&areas, |area| compute(area, candidate.as_bytes(), salt))
                    .is_ok_and(|fresh| fresh.hash == Some(expected))
            } else {
                // A hash made with other parameters (older settings): the library's own path.
                argon2().verify_password(candidate.as_bytes(), &parsed).is_ok()
            };
            known && matches
        })
        .await
    }
}

/// What replaces the password hash of a locked account (a reverted address change): `!locked:`
/// and 16 random bytes. Not a PHC string, so no password matches it (verification runs the dummy
/// hash instead), and writing it costs no hash. Random per lock, so each lock changes the reset
/// links' fingerprint of the password and kills every reset link made before it.
pub fn lock_marker() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{LOCK_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

const LOCK_PREFIX: &str = "!locked:";

/// Whether the account has a password of its own: not while its hash is a [`lock_marker`] (after
/// a revert, "this wasn't me", or a sign-in by email that confirmed it), when it signs in by email
/// and may set one with a mailed code.
pub fn has_password(password_hash: &str) -> bool {
    !password_hash.starts_with(LOCK_PREFIX)
}

impl PasswordHasher {
    /// Every `every`, frees the pooled work areas if none has been used for `idle`, until `stop`
    /// fires. Areas lent out at that moment are untouched and come back to the pool as usual.
    pub fn spawn_idle_release(
        &self,
        every: Duration,
        idle: Duration,
        stop: tokio_util::sync::CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let areas = self.work_areas.clone();
        crate::server::clock::spawn_every(every, stop, move || {
            release_if_idle(&areas, idle);
            std::future::ready(())
        })
    }

    #[cfg(test)]
    fn pooled_work_areas(&self) -> usize {
        lock(&self.work_areas).free.len()
    }
}

/// The work areas not lent out, and when one last came back.
struct WorkAreas {
    free: Vec<Vec<Block>>,
    last_returned: Instant,
}

fn lock(areas: &Mutex<WorkAreas>) -> std::sync::MutexGuard<'_, WorkAreas> {
    // The pool holds no invariant a panicking hash could break.
    areas.lock().unwrap_or_else(|p| p.into_inner())
}

/// Frees the pooled areas when none came back for `idle`; returns how many it freed.
fn release_if_idle(areas: &Mutex<WorkAreas>, idle: Duration) -> usize {
    let mut pool = lock(areas);
    if pool.last_returned.elapsed() < idle {
        return 0;
    }
    std::mem::take(&mut pool.free).len()
}

fn uses_current_parameters(hash: &PasswordHash<'_>) -> bool {
    hash.algorithm == Algorithm::Argon2id.ident()
        && hash.version == Some(Version::V0x13.into())
        && Params::try_from(hash)
            .is_ok_and(|p| p.m_cost() == M_COST_KIB && p.t_cost() == T_COST && p.p_cost() == P_COST)
        && hash.hash.is_some_and(|h| h.len() == OUTPUT_LEN)
}

/// Lends a reusable work area (allocated when the pool has none) to `f`.
fn with_work_area<R>(areas: &Mutex<WorkAreas>, f: impl FnOnce(&mut [Block]) -> R) -> R {
    let popped = lock(areas).free.pop();
    let mut area = popped.unwrap_or_else(|| vec![Block::default(); M_COST_KIB as usize]);
    let result = f(&mut area);
    let mut pool = lock(areas);
    pool.free.push(area);
    pool.last_returned = Instant::now();
    result
}

/// argon2id of `password` with `salt`, in `area`, as a PHC hash.
fn compute<'a>(area: &mut [Block], password: &[u8], salt: Salt<'a>) -> argon2::password_hash::Result<PasswordHash<'a>> {
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut salt_bytes)?;
    let output = Output::init_with(OUTPUT_LEN, |out| {
        argon2().hash_password_into_with_memory(password, raw_salt, out, &mut *area).map_err(Into::into)
    })?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params())?,
        salt: Some(salt),
        hash: Some(output),
    })
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
        let started = std::time::Instant::now();
        let result = work();
        crate::server::metrics::password_hash(started.elapsed());
        result
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
    async fn hashes_are_standard_phc_strings_other_verifiers_accept() {
        let hasher = PasswordHasher::new().await.unwrap();
        let hash = hasher.hash(&Password::parse("interop check phrase".into()).unwrap()).await.unwrap();
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(Argon2::default().verify_password(b"interop check phrase", &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"interop check phrasE", &parsed).is_err());
    }

    #[tokio::test]
    async fn hashes_made_with_other_parameters_still_verify() {
        use argon2::PasswordHasher as _;
        let old = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8 * 1024, 3, 1, None).unwrap());
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let hash = old.hash_password(b"an older hash", &salt).unwrap().to_string();
        let hasher = PasswordHasher::new().await.unwrap();
        assert!(hasher.verify("an older hash", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("not it", Some(&hash)).await.unwrap());
    }

    #[tokio::test]
    async fn idle_work_areas_are_freed_and_hashing_goes_on_after() {
        let hasher = PasswordHasher::new().await.unwrap();
        assert_eq!(hasher.pooled_work_areas(), 1, "the dummy hash leaves its area in the pool");
        assert_eq!(release_if_idle(&hasher.work_areas, Duration::from_secs(3600)), 0, "not idle long enough");
        assert_eq!(hasher.pooled_work_areas(), 1);
        assert_eq!(release_if_idle(&hasher.work_areas, Duration::ZERO), 1);
        assert_eq!(hasher.pooled_work_areas(), 0);
        let pw = Password::parse("hashed after the release".into()).unwrap();
        let hash = hasher.hash(&pw).await.unwrap();
        assert!(hasher.verify("hashed after the release", Some(&hash)).await.unwrap());
        assert_eq!(hasher.pooled_work_areas(), 1, "a fresh area is made and pooled again");
    }

    #[tokio::test]
    async fn the_release_task_frees_idle_areas_and_stops_when_told() {
        let hasher = PasswordHasher::new().await.unwrap();
        let stop = tokio_util::sync::CancellationToken::new();
        let task = hasher.spawn_idle_release(Duration::from_millis(10), Duration::from_millis(20), stop.clone());
        let deadline = Instant::now() + Duration::from_secs(10);
        while hasher.pooled_work_areas() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(hasher.pooled_work_areas(), 0);
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn unknown_users_and_broken_hashes_never_match() {
        let hasher = PasswordHasher::new().await.unwrap();
        assert!(!hasher.verify("anything at all", None).await.unwrap());
        assert!(!hasher.verify("anything at all", Some("not a phc string")).await.unwrap());
    }

    #[tokio::test]
    async fn a_lock_marker_matches_nothing_and_costs_the_same_hash_as_a_wrong_password() {
        let hasher = PasswordHasher::new().await.unwrap();
        let marker = lock_marker();
        assert!(marker.starts_with("!locked:") && PasswordHash::new(&marker).is_err(), "{marker}");
        assert!(!has_password(&marker) && has_password("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"));
        release_if_idle(&hasher.work_areas, Duration::ZERO);
        assert_eq!(hasher.pooled_work_areas(), 0);

        assert!(!hasher.verify("", Some(&marker)).await.unwrap());
        assert!(!hasher.verify(&marker, Some(&marker)).await.unwrap());

        // Only a hash takes a work area from the pool and puts it back.
        assert_eq!(hasher.pooled_work_areas(), 1, "verifying against the marker ran the dummy hash");
    }

    #[test]
    fn every_lock_is_a_marker_of_its_own() {
        let markers: std::collections::HashSet<String> = (0..100).map(|_| lock_marker()).collect();
        assert_eq!(markers.len(), 100);
    }
}
