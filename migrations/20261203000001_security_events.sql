-- The security log: one row per thing that happened to an account's security (a login, a failed
-- login, a password or address change, a revoked session…), for the account's owner to read at
-- /settings/security.
--
-- Append-only by the app's own rules: `server::db::security_events` has an insert and reads, no
-- update, and rows go only with their account (the cascade) or by age. A trigger would say it to
-- the database too, but SQLite and PostgreSQL share no trigger syntax and this schema is one file
-- for both.
CREATE TABLE security_events (
    -- A time-ordered UUID (v7): the tie-breaker between events of the same second.
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- What happened: a `SecurityEventKind` name (`login`, `login_failed`, `password_changed`…).
    kind       TEXT NOT NULL,
    -- Unix seconds.
    at         BIGINT NOT NULL,
    -- The client's address (after TRUSTED_PROXIES) and a short user-agent description, as for
    -- sessions; empty for what no request caused.
    ip         TEXT NOT NULL,
    user_agent TEXT NOT NULL
);

-- The account's recent events, newest first.
CREATE INDEX security_events_user_at ON security_events (user_id, at);
