// Email confirmation in the browser, in each language: the guard, the mailed link, resending, and
// a dead link's way forward.
import { test, expect, open, uniqueName, register, logIn, mailTo, mailedLink, fill, catalogue, mailCatalogue, LANGS, expectOnlyCatalogue } from './helpers';

for (const lang of LANGS) {
  const t = catalogue[lang];
  test.describe(lang, () => {
    test.use({ locale: lang });

    test('register, follow the mailed link, and the guard lets the confirmed user in', async ({ page }) => {
      const name = uniqueName('conf');
      await register(page, name, t);
      await logIn(page, name, t);
      await expect(page).toHaveURL(/\/unconfirmed/);
      await expect(page.getByText(t.unconfirmed_lead)).toBeVisible();
      await expectOnlyCatalogue(page, t, [name]);

      const mail = await mailTo(page, name, '/unconfirmed#token=');
      if (mailCatalogue) expect(mail.subject).toMatch(/^\[Madblog\] /);
      if (mailCatalogue) expect(mail.subject).toBe(mailCatalogue[lang].confirm_subject);
      await page.goto(mail.href);

      await expect(page).toHaveURL(/\/$/);
      await expect(page.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();
      await expect(page.getByTestId('profile-username')).toHaveText(name);
      const token = await page.evaluate(() => localStorage.getItem('madblog-token'));
      const claims = JSON.parse(Buffer.from(token!.split('.')[1], 'base64url').toString());
      expect(claims.confirmed).toBe(true);
      // The token left the address bar and the history entry.
      expect(page.url()).not.toContain('token=');
      const since = (await page.locator('.profile dd').nth(2).innerText()).trim();
      await expectOnlyCatalogue(page, t, [name, `${name}@example.com`, since]);

      // A confirmed user has nothing to do on /unconfirmed, nor on /login.
      await open(page, '/unconfirmed');
      await expect(page).toHaveURL(/\/$/);
      await open(page, '/login');
      await expect(page).toHaveURL(/\/$/);
    });

    test('a link opened while logged out goes through login and then confirms', async ({ page, browser }) => {
      const name = uniqueName('later');
      await register(page, name, t);
      const link = await mailedLink(page, name, '/unconfirmed#token=');

      // Another browser, nobody logged in.
      const context = await browser.newContext({ locale: lang });
      const other = await context.newPage();
      await other.goto(link);
      await expect(other).toHaveURL(/\/login\?redirect=/);
      await expect(other.locator('.app')).toHaveAttribute('data-hydrated', 'true');
      await logIn(other, name, t);

      await expect(other).toHaveURL(/\/$/);
      await expect(other.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();
      await context.close();
    });

    test('asking for another email counts down the wait', async ({ page }) => {
      const name = uniqueName('again');
      await register(page, name, t);
      await logIn(page, name, t);
      await expect(page).toHaveURL(/\/unconfirmed/);

      // The registration mail went out seconds ago: the server asks to wait, the button counts down.
      const resend = page.getByTestId('resend');
      await resend.click();
      await expect(resend).toBeDisabled();
      await expect(resend).toHaveText(counting(t.unconfirmed_resend_wait));
      const first = Number((await resend.innerText()).match(/\d+/)![0]);
      await expect(async () => {
        const now = Number((await resend.innerText()).match(/\d+/)?.[0] ?? first);
        expect(now).toBeLessThan(first);
      }).toPass({ timeout: 5_000 });
      await expectOnlyCatalogue(page, t, [name]);
    });

    test('a dead link says so and offers a new one, with the focus on it', async ({ page }) => {
      const name = uniqueName('broken');
      await register(page, name, t);
      await logIn(page, name, t);
      await expect(page).toHaveURL(/\/unconfirmed/);

      await page.goto('/unconfirmed#token=not.a.token');

      await expect(page.getByRole('alert').filter({ hasText: t.unconfirmed_expired })).toBeVisible();
      await expect(page).toHaveURL(/\/unconfirmed$/);
      const resend = page.getByRole('button', { name: t.unconfirmed_resend_new });
      await expect(resend).toBeFocused();
      await expectOnlyCatalogue(page, t, [name]);
    });
  });
}

test('an unconfirmed user typing any address lands on /unconfirmed and sees nothing else', async ({ page }) => {
  const t = catalogue.en;
  // Watches every DOM change from the first byte of every page: account data must never appear,
  // not even for one frame before a redirect.
  await page.addInitScript(() => {
    new MutationObserver(() => {
      if (document.querySelector('[data-testid=profile-username], .profile')) {
        sessionStorage.setItem('leaked', 'yes');
      }
    }).observe(document, { childList: true, subtree: true });
  });
  const name = uniqueName('held');
  await register(page, name);
  await logIn(page, name);
  await expect(page).toHaveURL(/\/unconfirmed/);

  const cases = [['/', '/'], ['/login', '/'], ['/register', '/'], ['/settings/account', '/settings/account'], ['/no/such/page', '/no/such/page']];
  for (const [path, back] of cases) {
    await page.goto(path);
    await expect(page).toHaveURL(`/unconfirmed?redirect=${back}`);
    await expect(page.getByText(t.unconfirmed_lead)).toBeVisible();
    await expect(page.getByTestId('profile-username')).toHaveCount(0);
    await expect(page.getByRole('heading', { name: t.not_found_title })).toHaveCount(0);
  }
  expect(await page.evaluate(() => sessionStorage.getItem('leaked'))).toBeNull();
});

/** A template whose placeholders are numbers, as a pattern. */
function counting(template: string) {
  return new RegExp(template.split(/\{\w+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\d+'));
}
