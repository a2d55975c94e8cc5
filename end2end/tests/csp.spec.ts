// The Content-Security-Policy in a real browser: every page loads and hydrates under it, one whole
// journey runs without a single violation report (the watch in helpers.ts fails any test on one),
// and an injected inline script is refused, which proves the watch can see a violation at all.
import { test, expect, open, uniqueName, register, logIn, mailedLink, field, fill, EN, PASSWORD } from './helpers';

const PAGES = [
  '/',
  '/login',
  '/register',
  '/unconfirmed',
  '/reset-password-request',
  '/reset-password',
  '/settings/account',
  '/settings/security',
  '/confirm-email-change',
  '/revert-email-change',
];

test('every page hydrates under the policy, with a fresh nonce each time', async ({ page }) => {
  const nonces = new Set<string>();
  for (const path of PAGES) {
    const response = await page.goto(path);
    const policy = response!.headers()['content-security-policy'];
    expect(policy, path).toMatch(/script-src 'self' 'nonce-[\w-]{22}' 'wasm-unsafe-eval'/);
    expect(policy, path).not.toContain('unsafe-inline');
    nonces.add(policy.match(/'nonce-([\w-]+)'/)![1]);
    await expect(page.locator('.app'), path).toHaveAttribute('data-hydrated', 'true');
  }
  expect(nonces.size).toBe(PAGES.length);
  const missing = await page.goto('/no/such/page');
  expect(missing!.status()).toBe(404);
  await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
});

test('register, confirm, change and reset the password without one violation', async ({ page }) => {
  const name = uniqueName('csp');
  const changed = 'a changed passphrase 7';
  const reset = 'a reset passphrase 9';

  await register(page, name);
  await logIn(page, name);
  await expect(page).toHaveURL(/\/unconfirmed/);
  await page.goto(await mailedLink(page, name, '/unconfirmed#token='));
  await expect(page.getByRole('heading', { name: fill(EN.home_hello, { name }) })).toBeVisible();

  await page.getByRole('link', { name: EN.nav_account }).click();
  await field(page, EN.field_current_password).fill(PASSWORD);
  await field(page, EN.field_new_password).fill(changed);
  await field(page, EN.field_new_password_repeat).fill(changed);
  await page.getByRole('button', { name: EN.account_submit }).click();
  await expect(page.getByRole('status')).toHaveText(EN.account_updated);
  await page.goto('/settings/security');
  await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');

  await page.getByRole('button', { name: EN.nav_logout, exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.getByRole('link', { name: EN.login_forgot }).click();
  await field(page, EN.field_email).fill(`${name}@example.com`);
  await page.getByRole('button', { name: EN.reset_request_submit }).click();
  await expect(page.getByRole('status')).toHaveText(EN.reset_requested);
  await page.goto(await mailedLink(page, name, '/reset-password#token='));
  await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
  await field(page, EN.field_new_password).fill(reset);
  await field(page, EN.field_new_password_repeat).fill(reset);
  await page.getByRole('button', { name: EN.reset_submit }).click();
  await expect(page).toHaveURL(/\/login\?reset=1$/);
  await logIn(page, name, EN, reset);
  await expect(page.getByRole('heading', { name: fill(EN.home_hello, { name }) })).toBeVisible();
});

test('an injected inline script is refused and reported', async ({ page, cspWatch, consoleWatch }) => {
  await open(page, '/login');
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.__injected = true';
    document.head.appendChild(script);
  });
  await expect.poll(() => cspWatch.length).toBeGreaterThan(0);
  expect(cspWatch.join('\n')).toContain('script-src');
  expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
  // Provoked on purpose: the browser's report and its console line are the expected outcome here.
  cspWatch.length = 0;
  consoleWatch.length = 0;
});

test('the dev mailbox runs no script and styles itself only by its nonce', async ({ page }) => {
  const response = await page.goto('/dev/mailbox');
  const policy = response!.headers()['content-security-policy'];
  expect(policy).toContain("script-src 'none'");
  // Its inline style applied: the body is not the browser's default font.
  const font = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
  expect(font).toContain('system-ui');
});
