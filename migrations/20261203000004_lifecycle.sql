-- Account lifecycle (issue 10 §5): an unconfirmed account gets one reminder after
-- UNCONFIRMED_REMIND_DAYS and is deleted after UNCONFIRMED_PURGE_DAYS, freeing its name and address.
--
-- `reminded_at` (Unix seconds) says the reminder went. The housekeeping job claims an account for
-- its reminder by setting it where it is still NULL, in the transaction that queues the mail, so
-- of several servers running the job at once exactly one reminds each account, and a crash
-- leaves neither a claim without its mail nor a mail without its claim.
ALTER TABLE users ADD COLUMN reminded_at BIGINT;

-- The job's two questions (which unconfirmed accounts are old enough) read only these rows.
CREATE INDEX users_unconfirmed ON users (created_at) WHERE confirmed = 0;
