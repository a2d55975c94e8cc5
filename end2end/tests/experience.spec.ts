// The language switcher and the dead ends: a page drawn in the chosen language from its first
// byte, what was typed surviving a switch, the server out of reach, a throttled login, a 404.
import { test, expect, open, uniqueName, register, logIn, field, catalogue, mailCatalogue, mailTo, EN, pattern, expectOnlyCatalogue, PASSWORD } from './helpers';

const ZH = catalogue['zh-CN'];

test('the switcher changes every word, keeps what was typed, and the server draws the next page in it', async ({ page }) => {
  await open(page, '/register');
  await field(page, EN.field_username).fill('typed-before');
  await page.getByRole('combobox', { name: EN.language_switcher_label }).selectOption('zh-CN');

  await expect(page.getByRole('heading', { name: ZH.register_title })).toBeVisible();
  await expect(field(page, ZH.field_username)).toHaveValue('typed-before');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  expect(await page.evaluate(() => localStorage.getItem('madblog-lang'))).toBe('zh-CN');
  await expectOnlyCatalogue(page, ZH);

  // The next page arrives in Chinese from the server: no English first paint.
  const response = await page.goto('/login');
  const html = await response!.text();
  expect(html).toContain('<html lang="zh-CN"');
  expect(html).toContain(ZH.skip_to_content);
  expect(html).not.toContain(EN.skip_to_content);
  await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByRole('heading', { name: ZH.login_title })).toBeVisible();

  await page.getByRole('combobox', { name: ZH.language_switcher_label }).selectOption('en');
  await expect(page.getByRole('heading', { name: EN.login_title })).toBeVisible();
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
});

test("logged in, the switcher also changes the language of the account's mail", async ({ page, browser }) => {
  const name = uniqueName('mailzh');
  await register(page, name);
  expect((await mailTo(page, name, '/unconfirmed#token=')).subject).toBe(mailCatalogue!.en.confirm_subject);
  await logIn(page, name);
  await expect(page).toHaveURL(/\/unconfirmed/);
  await page.getByRole('combobox', { name: EN.language_switcher_label }).selectOption('zh-CN');
  await expect(page.getByText(ZH.unconfirmed_lead)).toBeVisible();

  // A reset asked for from another browser, in English, still writes in the account's language.
  const context = await browser.newContext({ locale: 'en-US' });
  const other = await context.newPage();
  await open(other, '/reset-password-request');
  await expect(async () => {
    await field(other, EN.field_email).fill(`${name}@example.com`);
    await other.getByRole('button', { name: EN.reset_request_submit }).click();
    await expect(other.getByRole('status')).toHaveText(EN.reset_requested, { timeout: 2_000 });
  }).toPass({ timeout: 10_000 });
  const mail = await mailTo(other, name, '/reset-password#token=');
  expect(mail.subject).toBe(mailCatalogue!['zh-CN'].reset_subject);
  await context.close();
});

test.describe('zh-CN', () => {
  test.use({ locale: 'zh-CN' });

  test('a server out of reach says so, and "try again" sends the same form', async ({ page, context }) => {
    const name = uniqueName('offline');
    await open(page, '/register');
    await field(page, ZH.field_username).fill(name);
    await field(page, ZH.field_email).fill(`${name}@example.com`);
    await field(page, ZH.field_password).fill(PASSWORD);
    await field(page, ZH.field_password_repeat).fill(PASSWORD);
    await context.setOffline(true);
    await page.getByRole('button', { name: ZH.register_submit }).click();
    const alert = page.getByRole('alert').filter({ hasText: ZH.error_offline });
    await expect(alert).toBeVisible();
    await expectOnlyCatalogue(page, ZH, [name, `${name}@example.com`]);

    await context.setOffline(false);
    await alert.getByRole('button', { name: ZH.try_again }).click();
    await expect(page).toHaveURL(/\/login\?registered=1$/);
    await expect(page.getByRole('status')).toHaveText(ZH.login_registered);
  });

  test('a throttled login says how long to wait and counts down', async ({ page }) => {
    const name = uniqueName('slow');
    await register(page, name, ZH);
    const alert = page.getByRole('alert').filter({ hasText: /\d+:\d\d/ });
    for (let i = 0; i < 12 && !(await alert.isVisible()); i++) {
      await logIn(page, name, ZH, 'not the password');
      await expect(page.getByRole('alert').first()).toBeVisible();
      await expect(page.getByRole('button', { name: ZH.login_submit, exact: true })).toBeVisible();
    }
    await expect(alert).toBeVisible();
    await expect(alert.locator('p').first()).toHaveText(pattern(ZH.login_throttled));
    await expect(page.getByRole('button', { name: ZH.login_submit, exact: true })).toBeDisabled();
    const before = await alert.locator('.countdown').innerText();
    await expect(alert.locator('.countdown')).not.toHaveText(before, { timeout: 5_000 });
    await expectOnlyCatalogue(page, ZH, [name]);
  });

  test('the 404 page is in Chinese and links home', async ({ page }) => {
    const response = await page.goto('/no/such/page');
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: ZH.not_found_title })).toBeVisible();
    await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
    await expectOnlyCatalogue(page, ZH);
    await page.getByRole('link', { name: ZH.not_found_home }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole('heading', { name: ZH.home_welcome })).toBeVisible();
  });
});
