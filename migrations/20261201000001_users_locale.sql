-- Each account's language (a BCP 47 tag: `en` or `zh-CN`).
--
-- Mail goes out long after the request that caused it, or because of a request from someone
-- else's browser (a reset asked for on another machine), so the request's language is the wrong
-- one to write it in: the account's is. Set at registration from the language the person was
-- reading, changed by the language switcher when logged in. Existing accounts get English, the
-- only language there was before; the app reads an unknown tag as English too.
ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';
