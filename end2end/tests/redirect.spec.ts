// The way back after logging in (`/login?redirect=…`) stays on this site, however the value is
// disguised: Chromium's URL parser drops tabs and newlines and reads a backslash as a slash, so a
// value that looks like a path can still name another host.
import { test, expect, open, uniqueName, logIn, confirmedUser, field, mailToAddress, codeIn, EN } from './helpers';

/** Each hostile `redirect` value, as it stands in the query (percent-encoded where needed). */
const HOSTILE: [string, string][] = [
  ['a tab', '/%09/evil.example'],
  ['a carriage return', '/%0D/evil.example'],
  ['a line feed', '/%0A/evil.example'],
  ['a tab before the slashes', '%09//evil.example'],
  ['a backslash', '/%5Cevil.example'],
  ['a backslash after a tab', '/%09%5Cevil.example'],
  ['encoded slashes', '%2F%2Fevil.example'],
  ['doubly encoded slashes', '/%252F/evil.example'],
  ['an absolute URL', 'https%3A%2F%2Fevil.example%2F'],
  ['a scheme-relative URL', '//evil.example/'],
  ['javascript:', 'javascript%3Aalert(document.domain)'],
];

test('logging in from a hostile redirect ends on this site, at home', async ({ page, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  // Should a redirect leave, the other site answers here (no DNS needed), and a script URL that
  // runs would open a dialog: both are recorded, and either fails the test.
  const offSite: string[] = [];
  await page.context().route(
    (url) => url.hostname === 'evil.example',
    (route) => {
      offSite.push(route.request().url());
      return route.fulfill({ contentType: 'text/html', body: '<h1>evil</h1>' });
    },
  );
  page.on('dialog', (dialog) => {
    offSite.push(`dialog: ${dialog.message()}`);
    return dialog.dismiss();
  });
  const name = uniqueName('redir');
  await confirmedUser(page, name);

  // Every value is tried, and the ones that got away are named together at the end.
  const escaped: string[] = [];
  for (const [what, value] of HOSTILE) {
    await page.getByRole('button', { name: EN.nav_logout, exact: true }).click();
    await expect(page).toHaveURL(/\/login$/);
    await open(page, `/login?redirect=${value}`);
    await logIn(page, name);
    // Wait until the login has gone somewhere: home, or anywhere that isn't this site.
    await page.waitForURL((url) => url.origin !== origin || url.pathname !== '/login');
    if (new URL(page.url()).origin !== origin || offSite.length > 0) {
      escaped.push(`${what}: ${page.url()} ${offSite.splice(0).join(' ')}`);
      await open(page, '/');
      continue;
    }
    await expect(page, what).toHaveURL(`${origin}/`);
    await expect(page.getByRole('heading', { name: `Hello, ${name}!` }), what).toBeVisible();
  }
  expect(escaped).toEqual([]);
});

test('a plain local redirect still takes the reader back where they were', async ({ page }) => {
  const name = uniqueName('back');
  await confirmedUser(page, name);
  await page.getByRole('button', { name: EN.nav_logout, exact: true }).click();
  await open(page, '/login?redirect=/settings/account%3Ftab%3Dx');
  await logIn(page, name);
  await expect(page).toHaveURL(/\/settings\/account\?tab=x$/);
});

test('signing in by email from a page that sent the reader to log in goes back to that page', async ({ page, browser }) => {
  const name = uniqueName('bke');
  await confirmedUser(page, name);
  const context = await browser.newContext({ locale: 'en' });
  const reader = await context.newPage();
  await open(reader, '/settings/security');
  await expect(reader).toHaveURL(/\/login\?redirect=\/settings\/security$/);
  await reader.getByRole('link', { name: EN.login_by_email }).click();
  await expect(reader).toHaveURL(/\/login\/email-code\?redirect=\/settings\/security$/);
  await field(reader, EN.field_email).fill(`${name}@example.com`);
  await reader.getByRole('button', { name: EN.email_login_submit }).click();
  const mail = await mailToAddress(reader, `${name}@example.com`, '/login/email#f=');
  await field(reader, EN.field_code).fill(codeIn(mail.text));
  await reader.getByRole('button', { name: EN.email_login_code_submit }).click();
  await expect(reader).toHaveURL(/\/settings\/security$/);
  await context.close();
});
