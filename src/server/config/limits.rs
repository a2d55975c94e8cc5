//! The allowances an operator may set per client network (the rest are constants in
//! `server::limits`, with the reasons for their numbers).

use super::env::Env;

#[derive(Debug, Clone)]
pub struct LimitSettings {
    /// Password-reset requests accepted per client network per 15 minutes (`RESET_REQUESTS_PER_IP`,
    /// 30; beyond: 429).
    pub reset_requests_per_ip: u32,
    /// Registrations allowed per client network and hour (`REGISTRATIONS_PER_IP`, 20).
    pub registrations_per_ip: u32,
    /// Password hashes allowed per client network and hour (`PASSWORD_HASHES_PER_IP`, 300).
    pub password_hashes_per_ip: u32,
}

impl LimitSettings {
    /// # Errors
    /// A value that is not a positive whole number.
    pub fn read(env: &Env<'_>) -> anyhow::Result<Self> {
        Ok(Self {
            reset_requests_per_ip: env.count("RESET_REQUESTS_PER_IP", 30)?,
            registrations_per_ip: env.count("REGISTRATIONS_PER_IP", 20)?,
            password_hashes_per_ip: env.count("PASSWORD_HASHES_PER_IP", 300)?,
        })
    }
}
