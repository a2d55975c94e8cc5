-- Knowing when a mail can't arrive (issue 21).
--
-- What became of a mail that will not be delivered, once it is finished: `failed` (given up after
-- the last attempt, or refused by a server for a reason that is ours, not the address's),
-- `bounced` (the receiving server says the mailbox doesn't exist) or `suppressed` (not attempted:
-- the address is on the suppression list). NULL while pending and once sent; rows given up
-- before this column existed have `failed_at` and no outcome, and read as failed.
ALTER TABLE outbox ADD COLUMN outcome TEXT;
-- 1 for a mail the person asked for just now (a reset link, a resent confirmation): a complaint
-- about earlier mail doesn't stop these, a bounce does. BIGINT 0/1, as every flag here.
ALTER TABLE outbox ADD COLUMN requested BIGINT NOT NULL DEFAULT 0 CHECK (requested IN (0, 1));

-- Addresses not to send to. Keyed by an HMAC of the lower-cased address under a key derived from
-- SECRET_KEY, not by the address: a row outlives the account it came from by up to
-- MAIL_SUPPRESS_DAYS, and the address of a deleted account should not stay behind in plain text.
-- `hint` (a***@example.com) is what operators see in `madblog mail suppressions`.
CREATE TABLE suppressions (
    address_key TEXT PRIMARY KEY,
    hint        TEXT NOT NULL,
    -- bounce | complaint
    reason      TEXT NOT NULL CHECK (reason IN ('bounce', 'complaint')),
    -- The receiving server's words (its SMTP reply, or the report's status), for the account's
    -- banner and for operators.
    reply       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

-- Set (to the server's reply, and the suppression's end) while the account's current address is
-- suppressed for a bounce; cleared when the address changes, when an operator lifts the
-- suppression, or by housekeeping once it has expired. Kept on the account so that
-- `GET /api/users/me`, a hot path, reads nothing more.
ALTER TABLE users ADD COLUMN mail_undeliverable TEXT;
ALTER TABLE users ADD COLUMN mail_undeliverable_until BIGINT;
