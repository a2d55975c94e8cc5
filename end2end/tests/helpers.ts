// Shared steps: wait for hydration (clicks before it are lost), fill forms by label.
import { expect, type Page } from '@playwright/test';

export async function open(page: Page, url: string) {
  await page.goto(url);
  await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
}

export function uniqueName(prefix: string) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

export const PASSWORD = 'a sturdy passphrase 42';

export async function register(page: Page, name: string) {
  await open(page, '/register');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Email').fill(`${name}@example.com`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/login\?registered=1$/);
}

export async function logIn(page: Page, name: string) {
  await page.getByLabel('Username or email').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** The newest link mailed to `name` in a mail whose subject contains `subject`, read from the dev
 * mailbox page, as a person would. */
export async function mailedLink(page: Page, name: string, subject: string, path: string): Promise<string> {
  const mailbox = await page.context().newPage();
  let href: string | null = null;
  await expect(async () => {
    await mailbox.goto('/dev/mailbox');
    const mail = mailbox.locator('article.mail', { hasText: `${name}@example.com` }).filter({ hasText: subject }).first();
    href = await mail.locator(`a[href*="${path}"]`).first().getAttribute('href', { timeout: 1000 });
    expect(href).toBeTruthy();
  }).toPass({ timeout: 15_000 });
  await mailbox.close();
  return href!;
}

/** Registers, logs in and confirms `name` through the UI; ends on the home page. */
export async function confirmedUser(page: Page, name: string) {
  await register(page, name);
  await logIn(page, name);
  await expect(page).toHaveURL(/\/unconfirmed/);
  await page.goto(await mailedLink(page, name, 'Confirm Your Account', '/unconfirmed#token='));
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
}
