// Email confirmation in the browser: the guard, the mailed link, resending.
import { test, expect } from '@playwright/test';
import { open, uniqueName, register, logIn, mailedLink } from './helpers';

test('register, follow the mailed link, and the guard lets the confirmed user in', async ({ page }) => {
  const name = uniqueName('conf');
  await register(page, name);
  await logIn(page, name);
  await expect(page).toHaveURL(/\/unconfirmed/);
  await expect(page.getByText('You have not confirmed your account yet.')).toBeVisible();

  const link = await mailedLink(page, name, 'Confirm Your Account', '/unconfirmed#token=');
  await page.goto(link);

  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  await expect(page.getByTestId('profile-username')).toHaveText(name);
  const token = await page.evaluate(() => localStorage.getItem('madblog-token'));
  const claims = JSON.parse(Buffer.from(token!.split('.')[1], 'base64url').toString());
  expect(claims.confirmed).toBe(true);
  // The token left the address bar and the history entry.
  expect(page.url()).not.toContain('token=');

  // A confirmed user has nothing to do on /unconfirmed, nor on /login.
  await open(page, '/unconfirmed');
  await expect(page).toHaveURL(/\/$/);
  await open(page, '/login');
  await expect(page).toHaveURL(/\/$/);
});

test('an unconfirmed user typing any address lands on /unconfirmed and sees nothing else', async ({ page }) => {
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
    await expect(page.getByText('You have not confirmed your account yet.')).toBeVisible();
    await expect(page.getByTestId('profile-username')).toHaveCount(0);
    await expect(page.getByRole('heading', { name: 'Page not found' })).toHaveCount(0);
  }
  expect(await page.evaluate(() => sessionStorage.getItem('leaked'))).toBeNull();
});

test('a link opened while logged out goes through login and then confirms', async ({ page, browser }) => {
  const name = uniqueName('later');
  await register(page, name);
  const link = await mailedLink(page, name, 'Confirm Your Account', '/unconfirmed#token=');

  // Another browser, nobody logged in.
  const context = await browser.newContext();
  const other = await context.newPage();
  await other.goto(link);
  await expect(other).toHaveURL(/\/login\?redirect=/);
  await expect(other.locator('.app')).toHaveAttribute('data-hydrated', 'true');
  await logIn(other, name);

  await expect(other).toHaveURL(/\/$/);
  await expect(other.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  await context.close();
});

test('asking for another email shows how long to wait', async ({ page }) => {
  const name = uniqueName('again');
  await register(page, name);
  await logIn(page, name);
  await expect(page).toHaveURL(/\/unconfirmed/);

  // The registration mail went out seconds ago: the server asks to wait, the button counts down.
  await page.getByTestId('resend').click();
  await expect(page.getByTestId('resend')).toBeDisabled();
  await expect(page.getByTestId('resend')).toHaveText(/Send another email in \d+ s/);
});

test('a broken link says so and keeps the user on /unconfirmed', async ({ page }) => {
  const name = uniqueName('broken');
  await register(page, name);
  await logIn(page, name);
  await expect(page).toHaveURL(/\/unconfirmed/);

  await page.goto('/unconfirmed#token=not.a.token');

  await expect(page.getByRole('alert').filter({ hasText: 'The confirmation link is invalid or has expired.' })).toBeVisible();
  await expect(page).toHaveURL(/\/unconfirmed$/);
});
