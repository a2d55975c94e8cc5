// The new-device mail and its undo, in each language: a sign-in from another device mails the
// owner; the mail's "This wasn't me" opens /secure-account in a browser with no session, which acts
// only once the account's address is typed, and then every device is logged out.
import { test, expect, open, uniqueName, logIn, confirmedUser, fill, field, catalogue, mailCatalogue, mailTo, scan, LANGS, PHONE } from './helpers';

for (const lang of LANGS) {
  const t = catalogue[lang];
  test.describe(lang, () => {
    test.use({ locale: lang });

    test('a sign-in from a new device mails the owner, and "This wasn\'t me" logs every device out', async ({ page, browser }) => {
      const name = uniqueName('nd');
      await confirmedUser(page, name, t);

      // Another browser, another device: Chrome on Android.
      const phoneContext = await browser.newContext({ locale: lang, userAgent: PHONE });
      const phone = await phoneContext.newPage();
      await open(phone, '/login');
      await logIn(phone, name, t);
      await expect(phone.getByTestId('profile-username')).toHaveText(name);

      const mail = await mailTo(page, name, '/secure-account#token=');
      if (mailCatalogue) expect(mail.subject).toBe(mailCatalogue[lang].new_device_subject);
      expect(mail.text).toContain(fill(t.device_agent, { browser: 'Chrome', system: 'Android' }));
      expect(mail.text).toContain('127.0.0.0/24');

      // The mail is read in a browser with no session. Opening the link only asks: a mail scanner
      // opens links too, and some press buttons; none types the address.
      const readerContext = await browser.newContext({ locale: lang });
      const reader = await readerContext.newPage();
      const calls: string[] = [];
      reader.on('request', (request) => {
        if (request.url().includes('/api/fn/secure-account')) calls.push(request.method());
      });
      await reader.goto(mail.href);
      await expect(reader.locator('.app')).toHaveAttribute('data-hydrated', 'true');
      await expect(reader.getByText(t.secure_explain)).toBeVisible();
      expect(reader.url()).not.toContain('token=');
      await scan(reader, `${lang} secure account`, t);
      await reader.getByRole('button', { name: t.secure_submit }).click();
      await expect(reader.locator('#account_email-error')).toHaveText(t.secure_email_missing);
      await expect(field(reader, t.field_account_email)).toBeFocused();
      expect(calls, 'nothing was sent without an address').toEqual([]);

      const wrong = `not-${name}@example.com`;
      await field(reader, t.field_account_email).fill(wrong);
      await reader.getByRole('button', { name: t.secure_submit }).click();
      await expect(reader.locator('#account_email-error')).toHaveText(t.revert_email_wrong);
      await scan(reader, `${lang} secure account, wrong address`, t, [wrong]);
      await open(page, '/settings/account');
      await expect(page).toHaveURL(/\/settings\/account$/);

      await field(reader, t.field_account_email).fill(`${name}@example.com`);
      await reader.getByRole('button', { name: t.secure_submit }).click();
      await expect(reader.getByRole('status').filter({ hasText: t.account_secured })).toBeVisible();
      await scan(reader, `${lang} account secured`, t);
      await readerContext.close();

      // Both devices are logged out, and the password no longer works.
      await open(page, '/settings/account');
      await expect(page).toHaveURL(/\/login/);
      await open(phone, '/settings/account');
      await expect(phone).toHaveURL(/\/login/);
      await phoneContext.close();
      await logIn(page, name, t);
      await expect(page.getByRole('alert').filter({ hasText: t.login_failed })).toBeVisible();

      // The reset mail sets a new password; the security log says what happened, in its words.
      const reset = await mailTo(page, name, '/reset-password#token=');
      await page.goto(reset.href);
      await field(page, t.field_new_password).fill('my own passphrase again');
      await field(page, t.field_new_password_repeat).fill('my own passphrase again');
      await page.getByRole('button', { name: t.reset_submit }).click();
      await expect(page).toHaveURL(/\/login\?reset=1/);
      await logIn(page, name, t, 'my own passphrase again');
      await expect(page.getByTestId('profile-username')).toHaveText(name);
      await open(page, '/settings/security');
      await expect(page.locator('li[data-kind="account_secured"]')).toContainText(t.event_account_secured);
    });
  });
}
