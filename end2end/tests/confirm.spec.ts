// Email confirmation in the browser: the guard, the mailed link, resending.
import { test, expect, type Page } from '@playwright/test';
import { open, uniqueName, PASSWORD } from './helpers';

async function register(page: Page, name: string) {
  await open(page, '/register');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Email').fill(`${name}@example.com`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/login\?registered=1$/);
}

async function logIn(page: Page, name: string) {
  await page.getByLabel('Username or email').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** The newest confirmation link mailed to `name`, read from the dev mailbox page. */
async function confirmationLink(page: Page, name: string): Promise<string> {
  const mailbox = await page.context().newPage();
  let href: string | null = null;
  await expect(async () => {
    await mailbox.goto('/dev/mailbox');
    const mail = mailbox.locator('article.mail', { hasText: `${name}@example.com` }).filter({ hasText: 'Confirm Your Account' }).first();
    href = await mail.locator('a[href*="/unconfirmed#token="]').first().getAttribute('href', { timeout: 1000 });
    expect(href).toBeTruthy();
  }).toPass({ timeout: 15_000 });
  await mailbox.close();
  return href!;
}

test('register, follow the mailed link, and the guard lets the confirmed user in', async ({ page }) => {
  const name = uniqueName('conf');
  await register(page, name);
  await logIn(page, name);
  await expect(page).toHaveURL(/\/unconfirmed/);
  await expect(page.getByText('You have not confirmed your account yet.')).toBeVisible();

  const link = await confirmationLink(page, name);
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
  const link = await confirmationLink(page, name);

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
