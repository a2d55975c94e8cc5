// The bundle as a browser meets it: a first visit to /login or /register downloads the main module
// and no chunk, within the budget; every other page's code arrives as its own chunk the first time
// the page opens, from this server (the policy's 'self'), and a second visit fetches none of it.
// Run against the release build (`--split`), where the chunks exist.
import type { Page, Response } from '@playwright/test';
import { test, expect, open, uniqueName, confirmedUser, EN } from './helpers';

const BUDGET = 200_000; // bytes of WebAssembly, brotli, on a first visit (the README's "≤ 200 KB")

/** Every WebAssembly file the page fetches while `act` runs, with its body's size on the wire and
 * how long it may be cached. */
async function wasmFetched(page: Page, act: () => Promise<void>): Promise<Map<string, { bytes: number; cache: string }>> {
  const seen: Response[] = [];
  const onResponse = (r: Response) => {
    if (new URL(r.url()).pathname.endsWith('.wasm')) seen.push(r);
  };
  page.on('response', onResponse);
  await act();
  await page.waitForLoadState('networkidle');
  page.off('response', onResponse);
  const files = new Map<string, { bytes: number; cache: string }>();
  for (const r of seen) {
    expect(new URL(r.url()).origin, 'chunks come from this server').toBe(new URL(page.url()).origin);
    const name = new URL(r.url()).pathname.replace(/\.[\w-]{22}\.wasm$/, '.wasm');
    files.set(name, { bytes: (await r.request().sizes()).responseBodySize, cache: r.headers()['cache-control'] ?? '' });
  }
  return files;
}

for (const path of ['/login', '/register']) {
  test(`a first visit to ${path} downloads the main module only, within the budget`, async ({ page }) => {
    const files = await wasmFetched(page, () => open(page, path));
    expect([...files.keys()]).toEqual(['/pkg/madblog.wasm']);
    const bytes = files.get('/pkg/madblog.wasm')!.bytes;
    console.log(`first visit to ${path}: ${bytes} B of WebAssembly on the wire (budget ${BUDGET} B)`);
    expect(bytes).toBeLessThanOrEqual(BUDGET);
  });
}

test('the settings page arrives as chunks when first opened, each cacheable for a year', async ({ page }) => {
  await confirmedUser(page, uniqueName('chunk'));
  const account = await wasmFetched(page, () => page.getByRole('link', { name: EN.nav_account }).click());
  await expect(page.getByRole('heading', { name: EN.account_title })).toBeVisible();
  expect([...account.keys()].some((f) => f.includes('account_route'))).toBe(true);
  expect(account.has('/pkg/madblog.wasm')).toBe(false);
  // A chunk's name is its content's hash, so a browser keeps it (see server/http/assets.rs).
  for (const [file, { cache }] of account) expect(cache, file).toContain('immutable');

  // Opened afresh, the page hydrates with its chunk.
  await open(page, '/settings/account');
  await expect(page.getByRole('heading', { name: EN.account_title })).toBeVisible();
});
