// The mail scanner attack (issue 22 §7): a corporate link scanner opens every link in every mail
// before the person does. For each link it sends HEAD and GET, then opens it in a headless
// Chromium of its own (scripts run, no session, no storage), submits every form it finds as it
// finds it, empty first, then with 0000 typed into every empty number field, and presses every
// other button. Through a whole account life (registration, reset, address change and its undo,
// a new device, sign-in by email), the tests prove it never gets a session, never spends the
// person's flow, never undoes an address change and never secures (locks) an account.
import { test, expect, open, uniqueName, register, logIn, confirmedUser, field, fill, catalogue, codeIn, mailToAddress, mailTo, PASSWORD, PHONE } from './helpers';
import type { Browser, Page } from '@playwright/test';

const t = catalogue.en;

/** Every link to this site in the mails to `addresses`, as the dev mailbox shows them. */
async function linksInMails(page: Page, addresses: string[]): Promise<string[]> {
  const mailbox = await page.context().newPage();
  await mailbox.goto('/dev/mailbox');
  const origin = new URL(mailbox.url()).origin;
  const links: string[] = [];
  for (const mail of await mailbox.locator('article.mail').all()) {
    const meta = await mail.locator('.meta').innerText();
    if (!addresses.some((a) => meta.includes(a))) continue;
    for (const a of await mail.locator('a[href]').all()) {
      const href = (await a.getAttribute('href'))!;
      if (href.startsWith(origin)) links.push(href);
    }
  }
  await mailbox.close();
  return links;
}

/** Waits until the page's requests have settled (or a moment has passed: some pages poll). */
async function settle(page: Page) {
  await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => {});
}

/** What the scanner did with one link, for the test's log. */
type Visit = { href: string; head: number; get: number; pressed: number; token: string | null };

/** The scanner, on one link. */
async function scanLink(browser: Browser, href: string): Promise<Visit> {
  const context = await browser.newContext({ locale: 'en' });
  const head = (await context.request.head(href)).status();
  const get = (await context.request.get(href)).status();
  const page = await context.newPage();
  await page.goto(href);
  await page.locator('.app[data-hydrated="true"]').waitFor();
  await settle(page);
  let pressed = 0;
  const press = async (button: ReturnType<Page['locator']>) => {
    if ((await button.isVisible().catch(() => false)) && (await button.isEnabled().catch(() => false))) {
      await button.click({ timeout: 2_000 }).catch(() => {});
      pressed += 1;
      await settle(page);
    }
  };
  for (const fillDigits of [false, true]) {
    for (const form of await page.locator('form').all()) {
      if (fillDigits) {
        for (const input of await form.locator('input[inputmode="numeric"], input[type="number"]').all()) {
          if ((await input.inputValue().catch(() => 'x')) === '') await input.fill('0000').catch(() => {});
        }
      }
      await press(form.locator('button[type="submit"], button:not([type])').first());
    }
  }
  for (const button of await page.locator('button').all()) await press(button);
  const token = await page.evaluate(() => localStorage.getItem('madblog-token')).catch(() => null);
  await context.close();
  return { href: href.replace(/#.*/, '#…'), head, get, pressed, token };
}

/** Scans every link not scanned yet in the mails to `addresses`; fails if the scanner got a session. */
async function scanner(page: Page, browser: Browser, addresses: string[], seen: Set<string>): Promise<Visit[]> {
  const visits: Visit[] = [];
  for (const href of await linksInMails(page, addresses)) {
    if (seen.has(href)) continue;
    seen.add(href);
    const visit = await scanLink(browser, href);
    console.log(`scanner: ${visit.href} HEAD ${visit.head} GET ${visit.get}, ${visit.pressed} buttons pressed`);
    expect(visit.head, `HEAD ${visit.href}`).toBeLessThan(500);
    expect(visit.get, `GET ${visit.href}`).toBeLessThan(500);
    expect(visit.token, `the scanner got no session from ${visit.href}`).toBeNull();
    visits.push(visit);
  }
  return visits;
}

/** The account's address as the settings page shows it, in `page`'s session. */
async function currentEmail(page: Page): Promise<string> {
  await open(page, '/settings/account');
  const shown = page.getByTestId('current-email');
  await expect(shown).toHaveText(/@/);
  return shown.innerText();
}

test.describe('a mail scanner that opens every link first', () => {
  test('gets no session from the confirmation and reset mails, and the person still confirms and signs in', async ({ page, browser }) => {
    const name = uniqueName('scr');
    const address = `${name}@example.com`;
    const seen = new Set<string>();
    await register(page, name, t);
    await mailTo(page, name, '/unconfirmed#token=');
    expect((await scanner(page, browser, [address], seen)).length).toBeGreaterThan(0);

    // The confirmation link still confirms, for the person signed in.
    await logIn(page, name, t);
    await expect(page).toHaveURL(/\/unconfirmed/);
    await page.goto((await mailTo(page, name, '/unconfirmed#token=')).href);
    await expect(page.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();

    // A reset request (from a browser with no session): the scanner opens the link and submits its
    // form; the password stays.
    await page.getByRole('button', { name: t.nav_logout, exact: true }).click();
    await expect(page).toHaveURL(/\/login$/);
    await open(page, '/reset-password-request');
    await field(page, t.field_email).fill(address);
    await page.getByRole('button', { name: t.reset_request_submit }).click();
    await mailTo(page, name, '/reset-password#token=');
    expect((await scanner(page, browser, [address], seen)).length).toBeGreaterThan(0);
    const other = await browser.newContext({ locale: 'en' });
    const later = await other.newPage();
    await open(later, '/login');
    await logIn(later, name, t);
    await expect(later.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();
    await other.close();
  });

  test('never moves an address, never undoes a move, and never secures an account', async ({ page, browser }) => {
    const name = uniqueName('scm');
    const oldAddress = `${name}@example.com`;
    const newAddress = `${name}.new@example.org`;
    const seen = new Set<string>();
    await confirmedUser(page, name, t);
    await scanner(page, browser, [oldAddress], seen);

    // The change's link goes to the new address: the scanner has no session, so nothing moves.
    await open(page, '/settings/account');
    await field(page, t.field_new_email).fill(newAddress);
    await field(page, t.field_password_for_email).fill(PASSWORD);
    await page.getByRole('button', { name: t.email_change_submit }).click();
    await expect(page.getByText(t.email_change_requested)).toBeVisible();
    const link = await mailToAddress(page, newAddress, '/confirm-email-change#token=');
    expect((await scanner(page, browser, [newAddress], seen)).length).toBeGreaterThan(0);
    expect(await currentEmail(page)).toContain(oldAddress);

    // The person moves it; the old address gets the undo link, which the scanner can't use.
    await page.goto(link.href);
    await page.getByRole('button', { name: t.confirm_change_submit }).click();
    await expect(page.getByRole('status').filter({ hasText: t.email_changed })).toBeVisible();
    await mailTo(page, name, '/revert-email-change#token=');
    expect((await scanner(page, browser, [oldAddress, newAddress], seen)).length).toBeGreaterThan(0);
    expect(await currentEmail(page), 'the move stands, and this session with it').toContain(newAddress);

    // A sign-in from another device mails "This wasn't me"; the scanner doesn't secure the account.
    const phoneContext = await browser.newContext({ locale: 'en', userAgent: PHONE });
    const phone = await phoneContext.newPage();
    await open(phone, '/login');
    await logIn(phone, name, t);
    await expect(phone.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();
    await mailToAddress(page, newAddress, '/secure-account#token=');
    expect((await scanner(page, browser, [oldAddress, newAddress], seen)).length).toBeGreaterThan(0);
    await open(phone, '/settings/account');
    await expect(phone).toHaveURL(/\/settings\/account$/);
    expect(await currentEmail(page), 'every session lives').toContain(newAddress);
    await phoneContext.close();
    const fresh = await browser.newContext({ locale: 'en', userAgent: PHONE });
    const again = await fresh.newPage();
    await open(again, '/login');
    await logIn(again, name, t);
    await expect(again.getByRole('heading', { name: fill(t.home_hello, { name }) }), 'the password is not locked').toBeVisible();
    await fresh.close();
  });

  test('never spends a sign-in by email, which the person finishes with the code', async ({ page, browser }) => {
    const name = uniqueName('sce');
    const address = `${name}@example.com`;
    const seen = new Set<string>();
    await confirmedUser(page, name, t);
    await scanner(page, browser, [address], seen);
    const context = await browser.newContext({ locale: 'en' });
    const asking = await context.newPage();
    await open(asking, '/login/email-code');
    await field(asking, t.field_email).fill(address);
    await asking.getByRole('button', { name: t.email_login_submit }).click();
    await expect(asking.getByTestId('email-login-number')).toHaveText(/^\d{4}$/);
    const mail = await mailToAddress(asking, address, '/login/email#f=');
    expect((await scanner(page, browser, [address], seen)).length).toBeGreaterThan(0);
    await field(asking, t.field_code).fill(codeIn(mail.text));
    await asking.getByRole('button', { name: t.email_login_code_submit }).click();
    await expect(asking.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();
    await context.close();
  });
});
