// Sessions that last while they are used, in the browser: a tab opened after the token's whole life
// has passed is still logged in (its first call rotates the token), and two tabs of one browser
// share one rotating token without either being taken for a copy.
//
// These run against the second server of playwright.config.ts, whose tokens rotate past 2 s and
// whose previous generation is good for 3 s after the next one's first use.
import { test, expect, open, uniqueName, confirmedUser, EN, type Page } from './helpers';

const ROTATING = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 3100) + 50}`;
const LIFE_MS = 4_000;
const GRACE_MS = 3_000;

test.use({ baseURL: ROTATING });

/** The claims of the token the browser holds (read, not verified: the page does the same). */
async function storedClaims(page: Page): Promise<{ sid: string; gen?: number } | null> {
  return page.evaluate(() => {
    const token = localStorage.getItem('madblog-token');
    if (!token) return null;
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload));
  });
}

/** Every URL the page shows from now on, client-side moves included. */
function visited(page: Page): string[] {
  const urls: string[] = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) urls.push(frame.url());
  });
  return urls;
}

test('a tab opened after the token has outlived its whole life is still logged in', async ({ page, context }) => {
  test.setTimeout(90_000);
  const name = uniqueName('late');
  await confirmedUser(page, name);
  const before = await storedClaims(page);
  await page.close();

  // Longer than the token's life: yesterday's token, in effect.
  await new Promise((done) => setTimeout(done, LIFE_MS + 1_000));
  const later = await context.newPage();
  const urls = visited(later);
  await open(later, '/settings/account');

  await expect(later.getByTestId('devices').locator('li')).toHaveCount(1);
  await expect(later).toHaveURL(/\/settings\/account$/);
  expect(urls.filter((u) => u.includes('/login')), 'no login page in between').toEqual([]);
  const after = await storedClaims(later);
  expect(after?.sid).toBe(before?.sid);
  expect(after?.gen ?? 0).toBeGreaterThan(before?.gen ?? 0);
});

test('two tabs share the rotating token and neither is logged out', async ({ page, context }) => {
  test.setTimeout(120_000);
  const name = uniqueName('tabs');
  await confirmedUser(page, name);
  await open(page, '/settings/account');
  const second = await context.newPage();
  await open(second, '/settings/account');
  const urls = [...[page, second].map(visited)];
  const start = await storedClaims(page);

  // Each tab in turn moves between two pages (each move calls the server with the stored token),
  // each time after the token has outlived its whole life and the previous generation its grace.
  for (let round = 0; round < 3; round++) {
    for (const tab of [page, second]) {
      await new Promise((done) => setTimeout(done, Math.max(LIFE_MS, GRACE_MS) + 500));
      await tab.getByRole('link', { name: EN.account_security_link }).click();
      await expect(tab.getByTestId('security-events').locator('li').first()).toBeVisible();
      await tab.goBack();
      await expect(tab.getByTestId('devices').locator('li')).toHaveCount(1);
    }
  }

  const end = await storedClaims(second);
  expect(end?.sid, 'still the same session').toBe(start?.sid);
  expect(end?.gen ?? 0, 'rotated on the way').toBeGreaterThanOrEqual(3);
  expect(await storedClaims(page)).toEqual(end);
  for (const list of urls) expect(list.filter((u) => u.includes('/login'))).toEqual([]);
  // Nothing was taken for a copied token.
  await page.getByRole('link', { name: EN.account_security_link }).click();
  await expect(page.locator('[data-kind="token_reuse"]')).toHaveCount(0);
  await expect(page.locator('[data-kind="login"]')).toHaveCount(1);
});

test('an answer\'s renewal is swapped in for the same session, never for another', async ({ page }) => {
  const name = uniqueName('renew');
  await confirmedUser(page, name);
  const first = await storedClaims(page);

  // Past half the token's life: the next call's answer carries the next generation.
  await new Promise((done) => setTimeout(done, LIFE_MS / 2 + 500));
  await open(page, '/');
  await expect(page.getByTestId('profile-username')).toHaveText(name);
  await expect.poll(async () => (await storedClaims(page))?.gen ?? 0).toBeGreaterThan(first?.gen ?? 0);
  const renewed = await page.evaluate(() => localStorage.getItem('madblog-token'));

  // A late or stray answer carrying another session's token (here: a second login's) is ignored.
  const login = await page.request.post('/api/tokens', {
    headers: { Authorization: `Basic ${Buffer.from(`${name}:a sturdy passphrase 42`).toString('base64')}` },
  });
  const other = (await login.json()).token as string;
  await page.route('**/api/fn/me', async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), 'x-session-token': other } });
  });
  await open(page, '/');
  await expect(page.getByTestId('profile-username')).toHaveText(name);
  expect(await page.evaluate(() => localStorage.getItem('madblog-token'))).toBe(renewed);
});
