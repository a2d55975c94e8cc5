// The README's screenshots, taken in both languages on every run, so they always show the app as it
// is: register, unconfirmed, the dev mailbox, reset and settings. Fixed names (each run has its own
// database) and masked dates keep the files unchanged while the pages are.
import { test, expect, open, register, logIn, field, mailedLink, catalogue, fill, LANGS, PASSWORD } from './helpers';
import * as path from 'node:path';

const dir = path.join(__dirname, '../../docs/screenshots');

for (const lang of LANGS) {
  const t = catalogue[lang];
  test(`README screenshots in ${lang}`, async ({ page }) => {
    await page.setViewportSize({ width: 900, height: 880 });
    await page.context().addCookies([{ name: 'madblog-lang', value: lang, url: test.info().project.use.baseURL as string }]);
    const shot = (name: string, mask = [] as ReturnType<typeof page.locator>[]) =>
      page.screenshot({ path: path.join(dir, `${lang}-${name}.png`), mask, animations: 'disabled', caret: 'hide' });
    const name = lang === 'en' ? 'amy' : 'mei';

    await open(page, '/register');
    await field(page, t.field_username).fill(name);
    await field(page, t.field_email).fill(`${name}@example.com`);
    await field(page, t.field_password).fill('short');
    await page.getByRole('button', { name: t.register_submit }).click();
    await expect(page.locator('[data-field=password]')).not.toBeEmpty();
    await shot('register');

    await register(page, name, t);
    await logIn(page, name, t);
    await expect(page.getByRole('heading', { name: fill(t.unconfirmed_hello, { name }) })).toBeVisible();
    await shot('unconfirmed');

    const confirm = await mailedLink(page, name, '/unconfirmed#token=');
    await page.goto('/dev/mailbox');
    await shot('dev-mailbox', [page.locator('.meta')]);

    await page.goto(confirm);
    await expect(page.getByTestId('profile-username')).toHaveText(name);
    await open(page, '/settings/account');
    await field(page, t.field_current_password).fill(PASSWORD);
    await field(page, t.field_new_password).fill('an entirely new passphrase');
    await field(page, t.field_new_password_repeat).fill('an entirely new passphrase');
    await page.getByRole('button', { name: t.account_submit }).click();
    await expect(page.getByRole('status')).toHaveText(t.account_updated);
    await shot('settings');

    await page.getByRole('button', { name: t.nav_logout, exact: true }).click();
    await open(page, '/reset-password-request');
    await field(page, t.field_email).fill(`${name}@example.com`);
    await page.getByRole('button', { name: t.reset_request_submit }).click();
    await page.goto(await mailedLink(page, name, '/reset-password#token='));
    await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
    await field(page, t.field_new_password).fill('a brand new passphrase');
    await field(page, t.field_new_password_repeat).fill('a brand new passphrase');
    await shot('reset');
  });
}
