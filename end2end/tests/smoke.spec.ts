// Register and log in through the UI; the token lands in localStorage.
import { test, expect, open, uniqueName, PASSWORD } from './helpers';

test('register, log in, and keep the session token in localStorage', async ({ page }) => {
  const name = uniqueName('smoke');

  await open(page, '/register');
  // Instant feedback from the shared parse functions, before any request.
  await page.getByLabel('Username', { exact: true }).fill('x');
  await page.getByLabel('Email', { exact: true }).fill('not-an-email');
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('[data-field=username]')).toContainText('3 to 32');
  await expect(page.locator('[data-field=email]')).toContainText('valid email');
  await expect(page.locator('[data-field=password]')).toContainText('at least 8');

  // The server's word on a common password shows next to the field too.
  await page.getByLabel('Username', { exact: true }).fill(name);
  await page.getByLabel('Email', { exact: true }).fill(`${name}@example.com`);
  await page.getByLabel('Password', { exact: true }).fill('password123');
  await page.getByLabel('Repeat the password').fill('password123');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('[data-field=password]')).toContainText('most common');

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/login\?registered=1$/);
  await expect(page.getByRole('status')).toContainText('Thanks for registering');

  await page.getByLabel('Username or email').fill(name);
  await page.getByLabel('Password', { exact: true }).fill('wrong password!');
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Invalid' })).toBeVisible();

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  // Not confirmed yet: the guard holds the account on /unconfirmed.
  await expect(page).toHaveURL(/\/unconfirmed\?redirect=\/$/);
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();

  const token = await page.evaluate(() => localStorage.getItem('madblog-token'));
  expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  const claims = JSON.parse(Buffer.from(token!.split('.')[1], 'base64url').toString());
  expect(claims).toMatchObject({ name, typ: 'session', confirmed: false });


  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  expect(await page.evaluate(() => localStorage.getItem('madblog-token'))).toBeNull();
  // The server ended the session too: a copy of the token is refused.
  const me = await page.request.get('/api/users/me', { headers: { Authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(401);
});

test('unknown pages answer 404 with a page', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await page.getByRole('link', { name: 'Back to the home page' }).click();
  await expect(page).toHaveURL(/\/$/);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('a page says in both languages that it needs JavaScript', async ({ page }) => {
    await page.goto('/register');
    await expect(page.locator('.noscript p[lang="en"]')).toBeVisible();
    await expect(page.locator('.noscript p[lang="en"]')).toContainText('needs JavaScript');
    await expect(page.locator('.noscript p[lang="zh-CN"]')).toContainText('JavaScript');
  });
});

test('with JavaScript the no-script message stays hidden', async ({ page }) => {
  await page.goto('/register');
  await expect(page.locator('[data-hydrated="true"]')).toBeAttached();
  await expect(page.locator('.noscript')).toHaveCount(0);
});
