//! Typed settings, read once at start-up from the environment and `.env`, by section (each section
//! in `config/` reads its own variables through one small reader, `config::env`); secrets in a
//! type that never prints. `.env.example` describes every variable.

pub mod database;
pub mod dkim;
pub mod env;
pub mod http;
pub mod lifecycle;
pub mod limits;
pub mod links;
pub mod mail;
pub mod relay;
pub mod secret;
pub mod session;

use anyhow::{Context, bail};
use database::DatabaseSettings;
use env::{Env, parse_origin};
use http::HttpSettings;
use lifecycle::LifecycleSettings;
use limits::LimitSettings;
use links::LinkSettings;
use mail::MailSettings;
use secret::Secret;
use session::SessionSettings;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub app_env: AppEnv,
    pub secret_key: Secret,
    /// The public origin (scheme://host[:port], no trailing slash): every link in a mail starts here.
    pub app_url: String,
    /// Where the SQLite file, the dev secret and the dev mailbox live (`DATA_DIR`, `data`).
    pub data_dir: PathBuf,
    pub database: DatabaseSettings,
    pub session: SessionSettings,
    pub links: LinkSettings,
    pub mail: MailSettings,
    pub limits: LimitSettings,
    pub lifecycle: LifecycleSettings,
    pub http: HttpSettings,
}

impl Settings {
    /// Reads `.env` (if present) and the environment.
    ///
    /// # Errors
    /// In production: a missing or short `SECRET_KEY`, or a missing `APP_URL`. Anywhere: a setting
    /// that doesn't parse. The message names the setting, never its value.
    pub fn from_env() -> anyhow::Result<Self> {
        // A missing .env is normal; a malformed one is a mistake worth stopping for.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(e).context("could not read .env"),
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds settings from any lookup function (the environment, or a map in tests).
    ///
    /// # Errors
    /// As [`Settings::from_env`].
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let env = Env::new(&get);
        let app_env = match env.text("APP_ENV").as_deref().map(str::trim) {
            None | Some("development") => AppEnv::Development,
            Some("production") => AppEnv::Production,
            Some(_) => bail!("APP_ENV must be `development` or `production`"),
        };
        let production = app_env == AppEnv::Production;
        let data_dir = PathBuf::from(env.text("DATA_DIR").unwrap_or_else(|| "data".into()));
        let app_url = match env.text("APP_URL") {
            Some(url) => parse_origin(&url).context("APP_URL must be an origin like https://blog.example.com")?,
            None if production => bail!("APP_URL must be set in production"),
            None => format!("http://{}", env.text("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into())),
        };
        Ok(Self {
            app_env,
            secret_key: secret::secret_key(&env, production, &data_dir)?,
            app_url,
            database: DatabaseSettings::read(&env, &data_dir)?,
            session: SessionSettings::read(&env)?,
            links: LinkSettings::read(&env)?,
            mail: MailSettings::read(&env)?,
            limits: LimitSettings::read(&env)?,
            lifecycle: LifecycleSettings::read(&env)?,
            http: HttpSettings::read(&env)?,
            data_dir,
        })
    }
}

#[cfg(test)]
mod tests;
