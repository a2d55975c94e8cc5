-- Accounts.
--
-- One schema for SQLite (development, tests) and PostgreSQL (production, CI), read through sqlx's
-- Any driver. That driver decodes neither SQLite BOOLEAN nor date/time columns and the two engines
-- share no auto-increment syntax, so: ids are app-made UUID strings, instants are Unix seconds in
-- BIGINT, and flags are BIGINT 0/1 with a CHECK.
CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    -- As typed ("Alice"), for display.
    username        TEXT NOT NULL,
    -- Lower-cased username: the unique key, so "Alice" and "alice" can't be two accounts.
    username_key    TEXT NOT NULL,
    -- Normalised (trimmed, domain lower-cased), for delivery.
    email           TEXT NOT NULL,
    -- Fully lower-cased: one inbox, one account; also how logins by email are looked up.
    email_key       TEXT NOT NULL,
    -- argon2id PHC string ($argon2id$v=19$m=19456,t=2,p=1$salt$hash).
    password_hash   TEXT NOT NULL,
    confirmed       BIGINT NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
    -- Every session token carries the version it was issued for; bumping it logs out every device.
    session_version BIGINT NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL,
    last_seen       BIGINT NOT NULL,
    -- Named so a violation can be mapped to the field it concerns.
    CONSTRAINT users_username_key_unique UNIQUE (username_key),
    CONSTRAINT users_email_key_unique UNIQUE (email_key)
);
