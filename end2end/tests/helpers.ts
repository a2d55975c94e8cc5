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
