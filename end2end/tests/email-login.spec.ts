// Sign-in by email in the browser, in each language: with the code on the asking page, with the
// mailed link in the same browser, and approved from a second device by the number the asking page
// shows (the second device gets no session; the asking page signs in within two seconds).
import { test, expect, open, uniqueName, confirmedUser, register, logIn, field, mailToAddress, mailBySubject, mailCatalogue, codeIn, fill, catalogue, LANGS, scan } from './helpers';
import type { Page } from '@playwright/test';

/** Asks for a sign-in code for `name` on `page` (a browser with no session); returns the number shown. */
async function ask(page: Page, name: string, t: Record<string, string>): Promise<string> {
  await open(page, '/login');
  await page.getByRole('link', { name: t.login_by_email }).click();
  await expect(page).toHaveURL(/\/login\/email-code$/);
  await field(page, t.field_email).fill(`${name}@example.com`);
  await page.getByRole('button', { name: t.email_login_submit }).click();
  const number = page.getByTestId('email-login-number');
  await expect(number).toHaveText(/^\d{4}$/);
  return (await number.innerText()).trim();
}

for (const lang of LANGS) {
  const t = catalogue[lang];
  test.describe(lang, () => {
    test.use({ locale: lang });

    test('signs in with the mailed code typed on the asking page', async ({ page, browser }) => {
      const name = uniqueName('emc');
      await confirmedUser(page, name, t);
      const context = await browser.newContext({ locale: lang });
      const asking = await context.newPage();
      const number = await ask(asking, name, t);
      await scan(asking, `the code page (${lang})`, t, [number]);
      const mail = await mailToAddress(asking, `${name}@example.com`, '/login/email#f=');
      expect(mail.href).not.toContain('flow');
      await field(asking, t.field_code).fill(codeIn(mail.text));
      await asking.getByRole('button', { name: t.email_login_code_submit }).click();
      await expect(asking.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();
      expect(await asking.evaluate(() => localStorage.getItem('madblog-email-login'))).toBeNull();
      await context.close();
    });

    test('signs in with the mailed link opened in the browser that asked', async ({ page, browser }) => {
      const name = uniqueName('eml');
      await confirmedUser(page, name, t);
      const context = await browser.newContext({ locale: lang });
      const asking = await context.newPage();
      await ask(asking, name, t);
      const mail = await mailToAddress(asking, `${name}@example.com`, '/login/email#f=');
      // A new tab of the same browser, as a mail client opens links.
      const tab = await context.newPage();
      await tab.goto(mail.href);
      await expect(tab.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();
      expect(tab.url()).not.toContain('code=');
      // The asking tab learns the flow is done and is signed in too.
      await expect(asking.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible({ timeout: 5_000 });
      await context.close();
    });

    test('a second device approves with the number, and only the asking page signs in', async ({ page, browser }) => {
      const name = uniqueName('emn');
      await confirmedUser(page, name, t);
      const context = await browser.newContext({ locale: lang });
      const asking = await context.newPage();
      const number = await ask(asking, name, t);
      const mail = await mailToAddress(asking, `${name}@example.com`, '/login/email#f=');

      const phoneContext = await browser.newContext({ locale: lang });
      const phone = await phoneContext.newPage();
      await phone.goto(mail.href);
      await expect(phone.getByRole('heading', { name: t.email_login_approve_title })).toBeVisible();
      expect(phone.url()).not.toContain('code=');
      await scan(phone, `the approve page (${lang})`, t);
      // An empty form changes nothing.
      await phone.getByRole('button', { name: t.email_login_approve_submit }).click();
      await expect(phone.getByText(t.email_login_number_missing)).toBeVisible();
      await field(phone, t.field_number).fill(number);
      await phone.getByRole('button', { name: t.email_login_approve_submit }).click();
      await expect(phone.getByText(t.email_login_approved)).toBeVisible();
      expect(await phone.evaluate(() => localStorage.getItem('madblog-token'))).toBeNull();

      await expect(asking.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible({ timeout: 3_000 });
      await phoneContext.close();
      await context.close();
    });

    test('a mail scanner that follows the link first gets no session and spends nothing of the owner\'s', async ({ page, browser }) => {
      const name = uniqueName('ems');
      await confirmedUser(page, name, t);
      const context = await browser.newContext({ locale: lang });
      const asking = await context.newPage();
      const number = await ask(asking, name, t);
      const mail = await mailToAddress(asking, `${name}@example.com`, '/login/email#f=');

      // The scanner: HEAD and GET the link, then a browser that runs the page's scripts, submits
      // its form empty, then types 0000 into the empty number field and submits again.
      const scannerContext = await browser.newContext({ locale: lang });
      expect((await scannerContext.request.head(mail.href)).status()).toBe(200);
      expect((await scannerContext.request.get(mail.href)).status()).toBe(200);
      const scanner = await scannerContext.newPage();
      await scanner.goto(mail.href);
      const submit = scanner.getByRole('button', { name: t.email_login_approve_submit });
      await submit.click();
      await expect(scanner.getByText(t.email_login_number_missing)).toBeVisible();
      if (number !== '0000') {
        await field(scanner, t.field_number).fill('0000');
        await submit.click();
        await expect(scanner.getByText(t.email_login_number_wrong)).toBeVisible();
      }
      expect(await scanner.evaluate(() => localStorage.getItem('madblog-token'))).toBeNull();
      await scannerContext.close();

      // The owner's flow is whole: the code still signs in the browser that asked (which now says
      // that only the code can finish it, when the scanner's number was wrong).
      if (number !== '0000') await expect(asking.getByText(t.email_login_code_only)).toBeVisible({ timeout: 3_000 });
      await field(asking, t.field_code).fill(codeIn(mail.text));
      await asking.getByRole('button', { name: t.email_login_code_submit }).click();
      await expect(asking.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();
      await context.close();
    });

    test('an account that signing in by email confirmed sets a password of its own with a mailed code', async ({ page, browser }) => {
      const name = uniqueName('emp');
      const address = `${name}@example.com`;
      // Registered with a password, never confirmed: signing in by email proves the address,
      // confirms the account and drops that password (someone else may have registered it).
      await register(page, name, t);
      const context = await browser.newContext({ locale: lang });
      const asking = await context.newPage();
      await ask(asking, name, t);
      const mail = await mailToAddress(asking, address, '/login/email#f=');
      await field(asking, t.field_code).fill(codeIn(mail.text));
      await asking.getByRole('button', { name: t.email_login_code_submit }).click();
      await expect(asking.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();

      // The forms that ask for a password say to set one; the password form gives way to it.
      await open(asking, '/settings/account');
      await expect(asking.getByRole('heading', { name: t.set_password_title })).toBeVisible();
      await expect(asking.getByTestId('password-needed')).toHaveCount(2);
      await expect(asking.getByRole('heading', { name: t.account_change_password })).toHaveCount(0);
      await asking.getByRole('button', { name: t.set_password_send }).click();
      await expect(asking.getByText(t.set_password_code_sent)).toBeVisible();
      await scan(asking, `set a password (${lang})`, t, [name, address]);
      const codeMail = await mailBySubject(asking, address, mailCatalogue![lang].set_password_subject);
      await field(asking, t.field_code).fill('0000 0000');
      await field(asking, t.field_new_password).fill('my own new passphrase');
      await field(asking, t.field_new_password_repeat).fill('my own new passphrase');
      await asking.getByRole('button', { name: t.set_password_submit }).click();
      await expect(asking.locator('#set_code-error')).toHaveText(t.code_wrong);
      await field(asking, t.field_code).fill(codeIn(codeMail.text));
      await asking.getByRole('button', { name: t.set_password_submit }).click();
      await expect(asking.getByRole('status').filter({ hasText: t.password_set })).toBeVisible();
      await expect(asking.getByRole('heading', { name: t.account_change_password })).toBeVisible();
      await expect(asking.getByTestId('password-needed')).toHaveCount(0);
      await context.close();

      const fresh = await browser.newContext({ locale: lang });
      const later = await fresh.newPage();
      await open(later, '/login');
      await logIn(later, name, t, 'my own new passphrase');
      await expect(later.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();
      await fresh.close();
    });
  });
}
