-- Session tokens rotate, and a copied one gives itself away (issue 18 §1).
--
-- A session's token is reissued past half its life, each new one a generation further; the row
-- keeps the generation in use and when it was first used. A token of the current generation is
-- accepted; one of the previous generation only within a short grace after the current one was
-- first used (another tab, a request in flight); anything older proves that two parties hold the
-- session's tokens (one of them copied it), and the session ends. The generation moves only when a
-- newer token is used, never when one is merely offered, so a client that ignores renewals (a
-- script, the original Vue app) keeps using its token as the current generation.
--
-- Rows from before this migration, and the tokens issued for them (which carry no generation), are
-- generation 0: they go on working. `generation_used_at` 0 means long ago, so no previous
-- generation is in its grace.
ALTER TABLE sessions ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN generation_used_at BIGINT NOT NULL DEFAULT 0;
