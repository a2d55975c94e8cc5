// Forgotten and changed passwords in the browser.
import { test, expect } from '@playwright/test';
import { open, uniqueName, logIn, mailedLink, confirmedUser, PASSWORD } from './helpers';

const NEW_PASSWORD = 'an entirely new passphrase';

test('forgot password: mail, link, new password; the old one stops working', async ({ page }) => {
  const name = uniqueName('forgot');
  await confirmedUser(page, name);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page).toHaveURL(/\/reset-password-request$/);
  await page.getByLabel('Email').fill(`${name}@example.com`);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByRole('status')).toContainText('If that address has an account');

  const link = await mailedLink(page, name, 'Reset Your Password', '/reset-password#token=');
  const response = await page.goto(link);
  expect(response?.headers()['referrer-policy']).toBe('no-referrer');
  await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
  await expect(page).toHaveURL(/\/reset-password$/); // the token left the address bar
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('Repeat the new password').fill('something else entirely');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await expect(page.locator('[data-field=password2]')).toContainText("don't match");
  await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Set the new password' }).click();

  await expect(page).toHaveURL(/\/login\?reset=1$/);
  await expect(page.getByRole('status')).toContainText('Your password has been reset');
  await page.getByLabel('Username or email').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Invalid' })).toBeVisible();
  await page.getByLabel('Password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();

  // The link is single-use.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.goto(link);
  await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('New password', { exact: true }).fill('yet another passphrase');
  await page.getByLabel('Repeat the new password').fill('yet another passphrase');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'invalid or has expired' })).toBeVisible();
});

test('changing the password in settings logs out every other browser', async ({ page, browser }) => {
  const name = uniqueName('change');
  await confirmedUser(page, name);

  const other = await browser.newContext();
  const second = await other.newPage();
  await open(second, '/login');
  await logIn(second, name);
  await expect(second.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();

  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page).toHaveURL(/\/settings\/account$/);
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('status')).toContainText('Your password has been updated');

  // This tab keeps working with its fresh token…
  await open(page, '/');
  await expect(page.getByTestId('profile-username')).toHaveText(name);
  // …the other browser's session is over.
  await second.reload();
  await expect(second).toHaveURL(/\/login/);
  expect(await second.evaluate(() => localStorage.getItem('madblog-token'))).toBeNull();
  await other.close();
});

test('log out of all devices ends this session too', async ({ page }) => {
  const name = uniqueName('allout');
  await confirmedUser(page, name);
  await open(page, '/settings/account');
  await page.getByRole('button', { name: 'Log out of all devices' }).click();
  await expect(page).toHaveURL(/\/login$/);
  expect(await page.evaluate(() => localStorage.getItem('madblog-token'))).toBeNull();
});
