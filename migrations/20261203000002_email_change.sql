-- Changing an account's address (issue 10 §2).
--
-- `email_version` counts the account's address changes. The link that confirms a change names the
-- version it was asked for at, and the link that reverts it the version the change made, so each
-- works once and dies with any later change, with no token table.
ALTER TABLE users ADD COLUMN email_version BIGINT NOT NULL DEFAULT 0;

-- Addresses an account gave up, held for it while the revert link mailed there lives (7 days):
-- without the hold, whoever changed the address (a thief with the session) could register the old
-- address for another account and make the revert fail. Registration and changes treat a held
-- address as taken. Rows go with the account, on a revert (the address is the account's again),
-- or once `until` has passed (the housekeeping job).
CREATE TABLE address_holds (
    -- users.email_key of the address given up.
    email_key TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Unix seconds.
    until     BIGINT NOT NULL
);
