// Accessibility: axe (WCAG 2.1 A and AA rules) on every page in every state, in both languages;
// registration with the keyboard alone; no sideways scrolling at 320 px or at 200 % zoom.
import { type Page } from '@playwright/test';
import { test, expect, open, uniqueName, register, logIn, field, catalogue, confirmedUser, scan, LANGS, PASSWORD, type Texts } from './helpers';

for (const lang of LANGS) {
  const t: Texts = catalogue[lang];
  test.describe(lang, () => {
    test.use({ locale: lang });

    test('visitor pages: empty, with field errors, with notices', async ({ page }) => {
      const DATA: string[] = [];
      await open(page, '/');
      await scan(page, `${lang} home (visitor)`, t, DATA);

      await open(page, '/register');
      await scan(page, `${lang} register, empty`, t, DATA);
      await page.getByRole('button', { name: t.register_submit }).click();
      await expect(page.locator('[data-field=username]')).not.toBeEmpty();
      await scan(page, `${lang} register, field errors`, t, DATA);

      await open(page, '/login');
      await scan(page, `${lang} login, empty`, t, DATA);
      await page.getByRole('button', { name: t.login_submit, exact: true }).click();
      await expect(page.locator('[data-field=login]')).not.toBeEmpty();
      await scan(page, `${lang} login, field errors`, t, DATA);
      await logIn(page, 'nobody-at-all', t, 'not the password');
      await expect(page.getByRole('alert').filter({ hasText: t.login_failed })).toBeVisible();
      await scan(page, `${lang} login, wrong password`, t, DATA);
      await open(page, '/login?registered=1');
      await scan(page, `${lang} login, registered notice`, t, DATA);

      await open(page, '/reset-password-request');
      await scan(page, `${lang} reset request, empty`, t, DATA);
      await page.getByRole('button', { name: t.reset_request_submit }).click();
      await expect(page.locator('[data-field=email]')).not.toBeEmpty();
      await scan(page, `${lang} reset request, field error`, t, DATA);
      await field(page, t.field_email).fill('someone@example.com');
      await page.getByRole('button', { name: t.reset_request_submit }).click();
      await expect(page.getByRole('status')).toHaveText(t.reset_requested);
      await scan(page, `${lang} reset request, sent`, t, DATA);

      await open(page, '/reset-password');
      await scan(page, `${lang} reset, no link`, t, DATA);
      await open(page, '/reset-password#token=not.a.token');
      await scan(page, `${lang} reset, form`, t, DATA);
      await field(page, t.field_new_password).fill('x');
      await page.getByRole('button', { name: t.reset_submit }).click();
      await scan(page, `${lang} reset, field errors`, t, DATA);
      await field(page, t.field_new_password).fill(PASSWORD);
      await field(page, t.field_new_password_repeat).fill(PASSWORD);
      await page.getByRole('button', { name: t.reset_submit }).click();
      await expect(page.getByRole('link', { name: t.reset_ask_new_link })).toBeVisible();
      await scan(page, `${lang} reset, dead link`, t, DATA);

      await page.goto('/no/such/page');
      await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
      await scan(page, `${lang} 404`, t, DATA);

      await page.goto('/dev/mailbox');
      // Mail as it was sent (names, links, dates): axe only.
      await scan(page, `${lang} dev mailbox`);
    });

    test('account pages: unconfirmed, throttled, expired link, home, settings', async ({ page, context }) => {
      const name = uniqueName('axe');
      let DATA = [name];
      await register(page, name, t);
      await logIn(page, name, t);
      await expect(page).toHaveURL(/\/unconfirmed/);
      await scan(page, `${lang} unconfirmed`, t, DATA);
      await page.getByTestId('resend').click();
      await expect(page.getByTestId('resend')).toBeDisabled();
      await scan(page, `${lang} unconfirmed, resend throttled`, t, DATA);
      await page.goto('/unconfirmed#token=not.a.token');
      await expect(page.getByRole('alert').filter({ hasText: t.unconfirmed_expired })).toBeVisible();
      await scan(page, `${lang} unconfirmed, expired link`, t, DATA);

      const other = uniqueName('axe');
      await page.getByRole('button', { name: t.nav_logout, exact: true }).click();
      await confirmedUser(page, other, t);
      await expect(page.getByTestId('profile-username')).toHaveText(other);
      DATA = [other, `${other}@example.com`, (await page.locator('.profile dd').nth(2).innerText()).trim()];
      await scan(page, `${lang} home (logged in)`, t, DATA);

      await open(page, '/settings/account');
      await scan(page, `${lang} settings, empty`, t, DATA);
      await page.getByRole('button', { name: t.account_submit }).click();
      await expect(page.locator('[data-field=old_password]')).not.toBeEmpty();
      await scan(page, `${lang} settings, field errors`, t, DATA);
      await field(page, t.field_current_password).fill(PASSWORD);
      await field(page, t.field_new_password).fill('an entirely new passphrase');
      await field(page, t.field_new_password_repeat).fill('an entirely new passphrase');
      await page.getByRole('button', { name: t.account_submit }).click();
      await expect(page.getByRole('status')).toHaveText(t.account_updated);
      await scan(page, `${lang} settings, updated`, t, DATA);

      await context.setOffline(true);
      await field(page, t.field_current_password).fill('whatever it was');
      await field(page, t.field_new_password).fill('and yet another passphrase');
      await field(page, t.field_new_password_repeat).fill('and yet another passphrase');
      await page.getByRole('button', { name: t.account_submit }).click();
      await expect(page.getByRole('alert').filter({ hasText: t.error_offline })).toBeVisible();
      await scan(page, `${lang} settings, offline`, t, DATA);
      await context.setOffline(false);
    });
  });
}

test('registration with the keyboard alone, the focus always visible', async ({ page }) => {
  const t = catalogue.en;
  const name = uniqueName('keys');
  await open(page, '/register');

  /** Tabs until `target` has the focus (at most 15 presses), checking each stop shows a ring. */
  async function tabTo(target: ReturnType<Page['locator']>) {
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press('Tab');
      const ring = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return 'none';
        const style = getComputedStyle(el);
        return style.outlineStyle !== 'none' && style.outlineWidth !== '0px' ? 'outline' : style.boxShadow !== 'none' ? 'shadow' : 'none';
      });
      expect(ring, 'every focused element shows where the focus is').not.toBe('none');
      if (await target.evaluate((el) => el === document.activeElement)) return;
    }
    throw new Error('never reached by Tab');
  }

  await tabTo(field(page, t.field_username));
  await page.keyboard.type(name);
  await tabTo(field(page, t.field_email));
  await page.keyboard.type(`${name}@example.com`);
  await tabTo(field(page, t.field_password));
  await page.keyboard.type(PASSWORD);
  // The show/hide button is on the way, and works from the keyboard.
  await tabTo(page.getByRole('button', { name: t.show_password_label }).first());
  await page.keyboard.press('Enter');
  await expect(field(page, t.field_password)).toHaveAttribute('type', 'text');
  await page.keyboard.press('Enter');
  await expect(field(page, t.field_password)).toHaveAttribute('type', 'password');
  await tabTo(field(page, t.field_password_repeat));
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/login\?registered=1$/);
});

for (const width of [320, 640]) {
  test(`no sideways scrolling at ${width} px (${width === 320 ? 'a narrow phone' : '1280 px at 200 % zoom'})`, async ({ page }) => {
    await page.setViewportSize({ width, height: 800 });
    const base = test.info().project.use.baseURL as string;
    for (const lang of LANGS) {
      await page.context().addCookies([{ name: 'madblog-lang', value: lang, url: base }]);
      for (const path of ['/', '/register', '/login', '/reset-password-request', '/reset-password', '/no/such/page']) {
        await open(page, path);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${lang} ${path} is wider than the screen`).toBeLessThanOrEqual(0);
      }
    }
  });
}
