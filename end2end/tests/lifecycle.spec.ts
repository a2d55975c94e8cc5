// The account's lifecycle in the browser: confirming by code on a device that never saw the link,
// resetting by code, changing the address and undoing it from the old mailbox, the security log,
// and deleting the account.
import { test, expect, open, uniqueName, register, logIn, mailTo, mailToAddress, mailedLink, codeIn, confirmedUser, field, fill, pattern, catalogue, scan, LANGS, PASSWORD } from './helpers';

for (const lang of LANGS) {
  const t = catalogue[lang];
  test.describe(lang, () => {
    test.use({ locale: lang });

    test('a second device confirms with the code from the mail, never seeing the link', async ({ page, browser }) => {
      const name = uniqueName('code');
      await register(page, name, t);
      const mail = await mailTo(page, name, '/unconfirmed#token=');

      const phoneContext = await browser.newContext({ locale: lang });
      const phone = await phoneContext.newPage();
      await open(phone, '/login');
      await logIn(phone, name, t);
      await expect(phone).toHaveURL(/\/unconfirmed/);
      await scan(phone, `${lang} unconfirmed, with the code field`, t, [name, fill(t.unconfirmed_hello, { name })]);
      await field(phone, t.field_code).fill('1234');
      await phone.getByRole('button', { name: t.unconfirmed_code_submit }).click();
      await expect(phone.locator('#code-error')).toHaveText(t.code_format);
      await field(phone, t.field_code).fill(codeIn(mail.text));
      await phone.getByRole('button', { name: t.unconfirmed_code_submit }).click();
      await expect(phone.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();
      await expect(phone.getByTestId('profile-username')).toHaveText(name);
      await phoneContext.close();
    });
  });
}

test('a forgotten password is reset with the code, on a device that never saw the link', async ({ page, browser }) => {
  const t = catalogue.en;
  const name = uniqueName('rcode');
  await confirmedUser(page, name, t);
  const other = await (await browser.newContext({ locale: 'en' })).newPage();
  await open(other, '/reset-password-request');
  await field(other, t.field_email).fill(`${name}@example.com`);
  await other.getByRole('button', { name: t.reset_request_submit }).click();
  await other.getByRole('link', { name: t.reset_request_have_code }).click();
  await expect(other).toHaveURL(/\/reset-password\?email=/);
  await expect(field(other, t.field_email)).toHaveValue(`${name}@example.com`);
  await scan(other, 'en reset by code', t, [`${name}@example.com`]);

  const mail = await mailTo(page, name, '/reset-password#token=');
  await field(other, t.field_code).fill(codeIn(mail.text));
  await field(other, t.field_new_password).fill('a code-set passphrase');
  await field(other, t.field_new_password_repeat).fill('a code-set passphrase');
  await other.getByRole('button', { name: t.reset_code_submit }).click();
  await expect(other).toHaveURL(/\/login\?reset=1/);
  await logIn(other, name, t, 'a code-set passphrase');
  await expect(other.getByTestId('profile-username')).toHaveText(name);
  // The first tab's session ended with the reset.
  await open(page, '/settings/account');
  await expect(page).toHaveURL(/\/login/);
});

for (const lang of LANGS) {
  const t = catalogue[lang];
  test.describe(lang, () => {
    test.use({ locale: lang });
    test('the address changes on the button of the link to it, and the old mailbox undoes it by typing itself', async ({ page, browser }) => {
      const context = page.context();
      const name = uniqueName('chg');
      const newAddress = `${name}.new@example.org`;
      await confirmedUser(page, name, t);
      await open(page, '/settings/account');
      await expect(page.getByTestId('current-email')).toHaveText(fill(t.account_current_email, { email: `${name}@example.com` }));
      await field(page, t.field_new_email).fill(newAddress);
      await field(page, t.field_password_for_email).fill('wrong password');
      await page.getByRole('button', { name: t.email_change_submit }).click();
      await expect(page.locator('#email_password-error')).toHaveText(t.password_wrong);
      await field(page, t.field_password_for_email).fill(PASSWORD);
      await page.getByRole('button', { name: t.email_change_submit }).click();
      await expect(page.getByText(t.email_change_requested)).toBeVisible();

      // Opening the link only asks: a mail scanner opens links too. The button moves the account.
      const link = await mailToAddress(page, newAddress, '/confirm-email-change#token=');
      const confirmCalls: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/api/fn/confirm-email-change')) confirmCalls.push(request.method());
      });
      await page.goto(link.href);
      await expect(page.getByTestId('confirm-change-question')).toHaveText(fill(t.confirm_change_question, { email: newAddress }));
      expect(page.url()).not.toContain('token=');
      await scan(page, `${lang} email change asked`, t, [name]);
      const elsewhere = await context.newPage();
      await open(elsewhere, '/settings/account');
      await expect(elsewhere.getByTestId('current-email')).toHaveText(fill(t.account_current_email, { email: `${name}@example.com` }));
      await elsewhere.close();
      expect(confirmCalls, 'nothing was sent before the button').toEqual([]);
      await page.getByRole('button', { name: t.confirm_change_submit }).click();
      await expect(page.getByRole('status').filter({ hasText: t.email_changed })).toBeVisible();
      expect(confirmCalls).toEqual(['POST']);
      await scan(page, `${lang} email change confirmed`, t, [name]);
      await open(page, '/settings/account');
      await expect(page.getByTestId('current-email')).toHaveText(fill(t.account_current_email, { email: newAddress }));

      // The old mailbox is read in another browser, with no session. The undo asks for the old
      // address, typed: a scanner that presses buttons doesn't know it.
      const undo = await mailTo(page, name, '/revert-email-change#token=');
      const oldContext = await browser.newContext({ locale: lang });
      const old = await oldContext.newPage();
      await old.goto(undo.href);
      await expect(old.getByText(t.revert_explain)).toBeVisible();
      expect(old.url()).not.toContain('token=');
      await scan(old, `${lang} revert`, t);
      await old.getByRole('button', { name: t.revert_submit }).click();
      await expect(old.locator('#old_email-error')).toHaveText(t.revert_email_missing);
      await expect(field(old, t.field_old_email)).toBeFocused();
      await field(old, t.field_old_email).fill(newAddress);
      await old.getByRole('button', { name: t.revert_submit }).click();
      await expect(old.locator('#old_email-error')).toHaveText(t.revert_email_wrong);
      await scan(old, `${lang} revert, wrong address`, t, [newAddress]);
      await open(page, '/settings/account');
      await expect(page.getByTestId('current-email')).toHaveText(fill(t.account_current_email, { email: newAddress }));
      await field(old, t.field_old_email).fill(`${name}@example.com`);
      await old.getByRole('button', { name: t.revert_submit }).click();
      await expect(old.getByRole('status').filter({ hasText: t.email_change_reverted })).toBeVisible();
      await oldContext.close();

      // Every session ended: the first tab is sent to log in; the old password no longer works.
      await open(page, '/settings/account');
      await expect(page).toHaveURL(/\/login/);
      await logIn(page, name, t);
      await expect(page.getByRole('alert').filter({ hasText: t.login_failed })).toBeVisible();
      const reset = await mailTo(page, name, '/reset-password#token=');
      await page.goto(reset.href);
      await field(page, t.field_new_password).fill('my own passphrase again');
      await field(page, t.field_new_password_repeat).fill('my own passphrase again');
      await page.getByRole('button', { name: t.reset_submit }).click();
      await expect(page).toHaveURL(/\/login\?reset=1/);
      await logIn(page, `${name}@example.com`, t, 'my own passphrase again');
      await expect(page.getByTestId('profile-username')).toHaveText(name);

      await open(page, '/settings/security');
      const kinds = page.getByTestId('security-events').locator('li');
      await expect(kinds.first()).toHaveAttribute('data-kind', 'login');
      for (const kind of ['email_change_requested', 'email_change_confirmed', 'email_change_reverted', 'password_reset', 'login_failed']) {
        await expect(page.locator(`li[data-kind="${kind}"]`).first()).toBeVisible();
      }
    });
  });
}

for (const lang of LANGS) {
  const t = catalogue[lang];
  test(`${lang}: the security log lists what happened, and the account can be deleted`, async ({ browser }) => {
    const context = await browser.newContext({ locale: lang });
    const page = await context.newPage();
    const name = uniqueName('sec');
    await confirmedUser(page, name, t);
    // Three wrong passwords from this browser's address, written a moment after their answers.
    const wrong = { Authorization: `Basic ${Buffer.from(`${name}:not the password`).toString('base64')}` };
    for (let i = 0; i < 3; i++) expect((await page.request.post('/api/tokens', { headers: wrong })).status()).toBe(401);
    const token = await page.evaluate(() => localStorage.getItem('madblog-token'));
    const failures = async () => {
      const log = await (await page.request.get('/api/security-events', { headers: { Authorization: `Bearer ${token}` } })).json();
      return log.find((e: { kind: string }) => e.kind === 'login_failed')?.count;
    };
    await expect.poll(failures).toBe(3);
    await open(page, '/settings/account');
    await page.getByRole('link', { name: t.account_security_link }).click();
    await expect(page).toHaveURL(/\/settings\/security$/);
    await expect(page.locator('li[data-kind="confirmed"]')).toContainText(t.event_confirmed);
    await expect(page.locator('li[data-kind="login"]')).toContainText(t.event_login);
    // One row for the three, saying so.
    await expect(page.locator('li[data-kind="login_failed"]')).toHaveCount(1);
    await expect(page.locator('li[data-kind="login_failed"] .event-name')).toHaveText(
      pattern(fill(t.event_login_failed_many, { count: '3', address: '127.0.0.1' })),
    );
    const times = await page.locator('.events time').allInnerTexts();
    const places = await page.locator('.events .muted').allInnerTexts();
    await scan(page, `${lang} security log`, t, [name, ...times, ...places]);

    await open(page, '/settings/account');
    await field(page, t.field_password_for_delete).fill(PASSWORD);
    await page.getByRole('button', { name: t.account_delete_submit }).click();
    await expect(page).toHaveURL(/\/login\?deleted=1/);
    await expect(page.getByText(t.account_deleted)).toBeVisible();
    await logIn(page, name, t);
    await expect(page.getByRole('alert').filter({ hasText: t.login_failed })).toBeVisible();
    await context.close();
  });
}

for (const lang of LANGS) {
  const t = catalogue[lang];
  test.describe(lang, () => {
    test.use({ locale: lang });
    test('a mistyped address is corrected from /unconfirmed, and only the new address confirms the account', async ({ page }) => {
      const name = uniqueName('typo');
      const typo = `${name}@exmaple.com`;
      const right = `${name}@example.com`;
      await open(page, '/register');
      await field(page, t.field_username).fill(name);
      await field(page, t.field_email).fill(typo);
      await field(page, t.field_password).fill(PASSWORD);
      await field(page, t.field_password_repeat).fill(PASSWORD);
      await page.getByRole('button', { name: t.register_submit }).click();
      await expect(page).toHaveURL(/\/login\?registered=1$/);
      await logIn(page, name, t);
      await expect(page).toHaveURL(/\/unconfirmed/);
      // The page says where the mail went, so the typo can be seen.
      await expect(page.getByTestId('sent-to')).toHaveText(fill(t.unconfirmed_sent_to, { email: typo }));
      const typoMail = await mailToAddress(page, typo, '/unconfirmed#token=');

      await page.getByRole('button', { name: t.unconfirmed_wrong_address }).click();
      await expect(field(page, t.field_new_email)).toBeFocused();
      await field(page, t.field_new_email).fill(right);
      await field(page, t.field_password_for_email).fill('wrong password');
      await page.getByRole('button', { name: t.unconfirmed_fix_submit }).click();
      await expect(page.locator('#email_password-error')).toHaveText(t.password_wrong);
      await scan(page, `${lang} unconfirmed, correcting the address`, t, [name, typo, right, fill(t.unconfirmed_hello, { name })]);
      await field(page, t.field_password_for_email).fill(PASSWORD);
      await page.getByRole('button', { name: t.unconfirmed_fix_submit }).click();
      await expect(page.getByRole('status').filter({ hasText: t.address_corrected })).toBeVisible();
      await expect(page.getByTestId('sent-to')).toHaveText(fill(t.unconfirmed_sent_to, { email: right }));

      // The mistyped address's link confirms nothing any more; the new address's does.
      await page.goto(typoMail.href);
      await expect(page.getByText(t.unconfirmed_expired)).toBeVisible();
      await page.goto(await mailedLink(page, name, '/unconfirmed#token='));
      await expect(page.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();
      await open(page, '/settings/account');
      await expect(page.getByTestId('current-email')).toHaveText(fill(t.account_current_email, { email: right }));
    });
  });
}
