// Forgotten and changed passwords in the browser, in each language.
import { test, expect, open, uniqueName, logIn, mailTo, confirmedUser, field, fill, catalogue, mailCatalogue, LANGS, PASSWORD, expectOnlyCatalogue } from './helpers';

const NEW_PASSWORD = 'an entirely new passphrase';

for (const lang of LANGS) {
  const t = catalogue[lang];
  test.describe(lang, () => {
    test.use({ locale: lang });

    test('forgot password: mail, link, new password; the old one stops working', async ({ page }) => {
      const name = uniqueName('forgot');
      await confirmedUser(page, name, t);
      await page.getByRole('button', { name: t.nav_logout, exact: true }).click();
      await expect(page).toHaveURL(/\/login$/);

      await page.getByRole('link', { name: t.login_forgot }).click();
      await expect(page).toHaveURL(/\/reset-password-request$/);
      await expectOnlyCatalogue(page, t);
      await field(page, t.field_email).fill(`${name}@example.com`);
      await page.getByRole('button', { name: t.reset_request_submit }).click();
      await expect(page.getByRole('status')).toHaveText(t.reset_requested);

      const mail = await mailTo(page, name, '/reset-password#token=');
      if (mailCatalogue) expect(mail.subject).toBe(mailCatalogue[lang].reset_subject);
      const response = await page.goto(mail.href);
      expect(response?.headers()['referrer-policy']).toBe('no-referrer');
      await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
      await expect(page).toHaveURL(/\/reset-password$/); // the token left the address bar
      await field(page, t.field_new_password).fill(NEW_PASSWORD);
      await field(page, t.field_new_password_repeat).fill('something else entirely');
      await page.getByRole('button', { name: t.reset_submit }).click();
      await expect(page.locator('[data-field=password2]')).toHaveText(t.passwords_differ);
      // Focus goes to the first field that needs fixing.
      await expect(field(page, t.field_new_password_repeat)).toBeFocused();
      await expectOnlyCatalogue(page, t);
      await field(page, t.field_new_password_repeat).fill(NEW_PASSWORD);
      await page.getByRole('button', { name: t.reset_submit }).click();

      await expect(page).toHaveURL(/\/login\?reset=1$/);
      await expect(page.getByRole('status')).toHaveText(t.login_reset_done);
      await logIn(page, name, t);
      await expect(page.getByRole('alert').filter({ hasText: t.login_failed })).toBeVisible();
      await field(page, t.field_password).fill(NEW_PASSWORD);
      await page.getByRole('button', { name: t.login_submit, exact: true }).click();
      await expect(page.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();

      // The link is single-use; the dead end offers a new mail, to the address it was for.
      await page.getByRole('button', { name: t.nav_logout, exact: true }).click();
      await page.goto(mail.href);
      await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
      await field(page, t.field_new_password).fill('yet another passphrase');
      await field(page, t.field_new_password_repeat).fill('yet another passphrase');
      await page.getByRole('button', { name: t.reset_submit }).click();
      await expect(page.getByRole('alert').filter({ hasText: t.reset_link_invalid })).toBeVisible();
      await expectOnlyCatalogue(page, t);
      await page.getByRole('link', { name: t.reset_ask_new_link }).click();
      await expect(page).toHaveURL(/\/reset-password-request/);
      await expect(field(page, t.field_email)).toHaveValue(`${name}@example.com`);
    });

    test('changing the password in settings logs out every other browser', async ({ page, browser }) => {
      const name = uniqueName('change');
      await confirmedUser(page, name, t);

      const other = await browser.newContext({ locale: lang });
      const second = await other.newPage();
      await open(second, '/login');
      await logIn(second, name, t);
      await expect(second.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();

      await page.getByRole('link', { name: t.nav_account }).click();
      await expect(page).toHaveURL(/\/settings\/account$/);
      await expectOnlyCatalogue(page, t, [name]);
      await field(page, t.field_current_password).fill(PASSWORD);
      await field(page, t.field_new_password).fill(NEW_PASSWORD);
      await field(page, t.field_new_password_repeat).fill(NEW_PASSWORD);
      await page.getByRole('button', { name: t.account_submit }).click();
      await expect(page.getByRole('status')).toHaveText(t.account_updated);
      await expectOnlyCatalogue(page, t, [name]);

      // This tab keeps working with its fresh token…
      await open(page, '/');
      await expect(page.getByTestId('profile-username')).toHaveText(name);
      // …the other browser's session is over.
      await second.reload();
      await expect(second).toHaveURL(/\/login/);
      expect(await second.evaluate(() => localStorage.getItem('madblog-token'))).toBeNull();
      await other.close();
    });
  });
}

test('log out of all devices ends this session too', async ({ page }) => {
  const name = uniqueName('allout');
  await confirmedUser(page, name);
  await open(page, '/settings/account');
  await page.getByRole('button', { name: catalogue.en.account_logout_all }).click();
  await expect(page).toHaveURL(/\/login$/);
  expect(await page.evaluate(() => localStorage.getItem('madblog-token'))).toBeNull();
});
