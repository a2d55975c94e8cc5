//! Secrets: a type that never prints, and `SECRET_KEY`, which every token key, code hash and limit
//! key is derived from (refused when it is a published example; made and kept in the data folder
//! in development, so nobody has to invent one and no default exists in the code).

use super::env::Env;
use anyhow::{Context, bail};
use std::{fmt, path::Path};

/// A secret value: no `Display`, and `Debug` prints `[redacted]`, so it can't leak through a log
/// line, a panic message or an error chain.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Secrets printed in tutorials and templates, the original Madblog's first: anyone who has read
/// them can sign a session for any account, so they are refused everywhere, development included.
const PUBLISHED_SECRETS: &[&str] =
    &["you-will-never-guess", "secret", "changeme", "change-me", "secret-key", "your-secret-key", "supersecret"];

/// The minimum length of `SECRET_KEY` in production: 256 bits of key material for HMAC-SHA256.
pub const MIN_SECRET_BYTES: usize = 32;

/// `SECRET_KEY`: required (and long) in production; in development a short one is warned about and
/// a missing one made and kept in `data_dir`.
///
/// # Errors
/// A published example anywhere; a missing or short key in production; an unwritable `data_dir`.
pub fn secret_key(env: &Env<'_>, production: bool, data_dir: &Path) -> anyhow::Result<Secret> {
    Ok(match env.text("SECRET_KEY") {
        Some(key) if PUBLISHED_SECRETS.contains(&key.trim()) => {
            bail!("SECRET_KEY is a published example value that anyone can sign tokens with: choose a random one")
        }
        Some(key) if key.len() >= MIN_SECRET_BYTES => Secret::new(key),
        Some(_) if production => bail!("SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes long in production"),
        None if production => bail!("SECRET_KEY must be set in production"),
        Some(short) => {
            tracing::warn!("SECRET_KEY is shorter than {MIN_SECRET_BYTES} bytes: acceptable in development only");
            Secret::new(short)
        }
        None => dev_secret(data_dir)?,
    })
}

/// Development only: a random secret made on first start and kept in `data/`, so sessions survive
/// a restart without anyone having to invent a key, and no default secret exists in the code.
fn dev_secret(data_dir: &Path) -> anyhow::Result<Secret> {
    use rand::RngCore;
    let path = data_dir.join("dev-secret-key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= MIN_SECRET_BYTES {
            tracing::warn!(path = %path.display(), "SECRET_KEY is not set: using the development secret kept in the data directory");
            return Ok(Secret::new(existing));
        }
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("could not create {}", data_dir.display()))?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path, &key).with_context(|| format!("could not write {}", path.display()))?;
    tracing::warn!(path = %path.display(), "SECRET_KEY is not set: generated a development secret; set SECRET_KEY in production");
    Ok(Secret::new(key))
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}
