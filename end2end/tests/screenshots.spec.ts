// The README's screenshots in both languages, checked on every run against docs/screenshots/ and
// rewritten there when a page changed (`updateSnapshots: 'changed'` in the config), so they always
// show the app as it is: register, unconfirmed, the dev mailbox, reset, settings, and signing in by
// email (the asking page and the approving one). Fixed names
// (each run has its own database) and a few pixels of tolerance keep the files unchanged while the
// pages are.
import { test, expect, open, register, logIn, field, mailedLink, mailToAddress, catalogue, fill, LANGS, PASSWORD } from './helpers';
import type { Page } from '@playwright/test';

for (const lang of LANGS) {
  const t = catalogue[lang];
  test(`README screenshots in ${lang}`, async ({ page, browser }) => {
    await page.setViewportSize({ width: 900, height: 1000 });
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.context().addCookies([{ name: 'madblog-lang', value: lang, url: test.info().project.use.baseURL as string }]);
    const shot = async (name: string, clip?: { x: number; y: number; width: number; height: number }, on: Page = page) => {
      // No hover effect from wherever the last click left the pointer.
      await on.mouse.move(0, 0);
      // A session's "last active" time changes every run: painted over in the card's white.
      const mask = [on.locator('.device .muted')];
      await expect(on).toHaveScreenshot(`${lang}-${name}.png`, { clip, mask, maskColor: '#ffffff', animations: 'disabled', caret: 'hide', maxDiffPixels: 150 });
    };
    const name = lang === 'en' ? 'amy' : 'mei';

    await open(page, '/register');
    await field(page, t.field_username).fill(name);
    await field(page, t.field_email).fill(`${name}@example.com`);
    await field(page, t.field_password).fill('short');
    await page.getByRole('button', { name: t.register_submit }).click();
    await expect(page.locator('[data-field=password]')).not.toBeEmpty();
    await expect(field(page, t.field_password)).toBeFocused();
    await shot('register');

    await register(page, name, t);
    await logIn(page, name, t);
    await expect(page.getByRole('heading', { name: fill(t.unconfirmed_hello, { name }) })).toBeVisible();
    await shot('unconfirmed');

    const confirm = await mailedLink(page, name, '/unconfirmed#token=');
    // The newest mail only (other tests' mails are older). What changes every run, the link's
    // token and the date, is shortened to "…" so the picture only changes when the mail does.
    await page.goto('/dev/mailbox');
    const newest = page.locator('article.mail').first();
    await newest.locator('a').evaluateAll((links) => links.forEach((a) => (a.textContent = a.textContent!.replace(/token=.*/, 'token=…'))));
    await newest.locator('.meta').evaluate((meta) => (meta.textContent = meta.textContent!.replace(/·.*/, '· …')));
    // The typed code is random too: one fixed code stands in for it.
    await newest.evaluate((mail) => {
      const walker = document.createTreeWalker(mail, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        const node = walker.currentNode;
        node.textContent = node.textContent!.replace(/\b\d{4} \d{4}\b/, '1234 5678');
      }
    });
    const box = (await newest.boundingBox())!;
    await shot('dev-mailbox', { x: 0, y: 0, width: 900, height: Math.ceil(box.y + box.height + 16) });

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

    // Signing in by email: the asking page shows its number, and the mailed link, opened in a
    // browser that didn't ask, asks for it.
    await open(page, '/login/email-code');
    await field(page, t.field_email).fill(`${name}@example.com`);
    await page.getByRole('button', { name: t.email_login_submit }).click();
    const number = page.getByTestId('email-login-number');
    await expect(number).toHaveText(/^\d{4}$/);
    // The number is random: one fixed number stands in for it, as for the mail's code.
    await number.evaluate((el) => (el.textContent = '4821'));
    await shot('email-code');
    const link = await mailToAddress(page, `${name}@example.com`, '/login/email#f=');
    const phoneContext = await browser.newContext({ locale: lang, viewport: { width: 900, height: 1000 }, reducedMotion: 'reduce' });
    await phoneContext.addCookies([{ name: 'madblog-lang', value: lang, url: test.info().project.use.baseURL as string }]);
    const phone = await phoneContext.newPage();
    await phone.goto(link.href);
    await expect(phone.getByRole('heading', { name: t.email_login_approve_title })).toBeVisible();
    // The question names the time of the request: a fixed one stands in for it.
    const question = fill(t.email_login_question, {
      device: fill(t.device_agent, { browser: 'Chrome', system: 'Linux' }),
      network: '127.0.0.0/24',
      time: '09:30',
    });
    await phone.locator('p.lead').evaluate((el, text) => (el.textContent = text), question);
    await shot('email-approve', undefined, phone);
    await phoneContext.close();
  });
}
