// Shared steps and checks: the catalogue of both languages (read from the binary under test, so the
// tests and the app can never disagree on a word), hydration, forms filled by their labels, mail
// read from the dev mailbox, and the watch on the console that every test gets.
import { test as base, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

export type Lang = 'en' | 'zh-CN';
export const LANGS: Lang[] = ['en', 'zh-CN'];
export type Texts = Record<string, string>;

const bin = process.env.MADBLOG_BIN ?? path.join(__dirname, '../../target/debug/madblog');
const dumped = JSON.parse(
  execFileSync(bin, ['catalogue'], { env: { ...process.env, RUST_LOG: 'off' } }).toString(),
);
/** Every page string by field name, per language. */
export const catalogue: Record<Lang, Texts> = { en: dumped.en, 'zh-CN': dumped['zh-CN'] };
/** Every mail string by field name, per language. */
export const mailCatalogue: Record<Lang, Texts> | undefined = dumped.mail;
export const EN = catalogue.en;

/** A catalogue template with its `{placeholders}` filled. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name) => values[name] ?? whole);
}

/** A template as a pattern: each placeholder stands for any text. */
export function pattern(template: string): RegExp {
  const parts = template.split(/\{\w+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+')}$`, 's');
}

/**
 * Every test watches the console: an uncaught error, a console error or a warning (leptos reports
 * hydration mismatches as warnings) fails it. The browser's own "Failed to load resource" lines
 * for 4xx answers are expected (wrong passwords, dead links) and skipped.
 *
 * And every test watches the Content-Security-Policy: each page of the test's browser reports any
 * `securitypolicyviolation` (a script, style, connection or frame the policy refused), and one
 * report fails the test. Tests that provoke a violation on purpose empty the list themselves.
 */
export const test = base.extend<{ consoleWatch: string[]; cspWatch: string[] }>({
  consoleWatch: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
      page.on('console', (m) => {
        const text = m.text();
        if ((m.type() === 'error' || m.type() === 'warning') && !text.startsWith('Failed to load resource')) {
          problems.push(`${m.type()}: ${text}`);
        }
      });
      await use(problems);
      expect(problems, 'console errors or warnings').toEqual([]);
    },
    { auto: true },
  ],
  cspWatch: [
    async ({ page }, use) => {
      const reports: string[] = [];
      const context = page.context();
      await context.exposeBinding('__reportCspViolation', ({ page: from }, report: string) => {
        reports.push(`${from?.url() ?? '?'}: ${report}`);
      });
      await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          const report = `${e.effectiveDirective} refused ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber}) ${e.sample}`;
          (window as unknown as { __reportCspViolation: (r: string) => void }).__reportCspViolation(report);
        });
      });
      await use(reports);
      expect(reports, 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

export async function open(page: Page, url: string) {
  await page.goto(url);
  await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
}

export function uniqueName(prefix: string) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

export const PASSWORD = 'a sturdy passphrase 42';

/** Another device's browser: Chrome on Android. */
export const PHONE = 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36';

/** The input labelled `label` (exactly: "Password" must not find "Show the password"). */
export function field(page: Page, label: string) {
  return page.getByLabel(label, { exact: true });
}

export async function register(page: Page, name: string, t: Texts = EN) {
  await open(page, '/register');
  await field(page, t.field_username).fill(name);
  await field(page, t.field_email).fill(`${name}@example.com`);
  await field(page, t.field_password).fill(PASSWORD);
  await field(page, t.field_password_repeat).fill(PASSWORD);
  await page.getByRole('button', { name: t.register_submit }).click();
  await expect(page).toHaveURL(/\/login\?registered=1$/);
}

export async function logIn(page: Page, name: string, t: Texts = EN, password = PASSWORD) {
  await field(page, t.field_login).fill(name);
  await field(page, t.field_password).fill(password);
  await page.getByRole('button', { name: t.login_submit, exact: true }).click();
}

/** The newest mail to `name` carrying a link to `path`, read from the dev mailbox page as a person
 * would: its subject and the link. */
export async function mailTo(page: Page, name: string, path: string): Promise<{ subject: string; href: string; text: string }> {
  return mailToAddress(page, `${name}@example.com`, path);
}

/** As `mailTo`, for any address. */
export async function mailToAddress(page: Page, address: string, path: string): Promise<{ subject: string; href: string; text: string }> {
  const mailbox = await page.context().newPage();
  let found = { subject: '', href: '', text: '' };
  await expect(async () => {
    await mailbox.goto('/dev/mailbox');
    const mail = mailbox.locator('article.mail', { hasText: address }).filter({ has: mailbox.locator(`a[href*="${path}"]`) }).first();
    const href = await mail.locator(`a[href*="${path}"]`).first().getAttribute('href', { timeout: 1000 });
    expect(href).toBeTruthy();
    found = { href: href!, subject: (await mail.locator('h2').first().innerText()).trim(), text: await mail.innerText() };
  }).toPass({ timeout: 15_000 });
  await mailbox.close();
  return found;
}

/** The newest mail to `address` whose subject is `subject` (for mails without a link: a code). */
export async function mailBySubject(page: Page, address: string, subject: string): Promise<{ subject: string; text: string }> {
  const mailbox = await page.context().newPage();
  let found = { subject, text: '' };
  await expect(async () => {
    await mailbox.goto('/dev/mailbox');
    const mail = mailbox.locator('article.mail', { hasText: address }).filter({ has: mailbox.locator('h2', { hasText: subject }) }).first();
    found = { subject, text: await mail.innerText({ timeout: 1000 }) };
  }).toPass({ timeout: 15_000 });
  await mailbox.close();
  return found;
}

export async function mailedLink(page: Page, name: string, path: string): Promise<string> {
  return (await mailTo(page, name, path)).href;
}

/** Registers, logs in and confirms `name` through the UI; ends on the home page. */
export async function confirmedUser(page: Page, name: string, t: Texts = EN) {
  await register(page, name, t);
  await logIn(page, name, t);
  await expect(page).toHaveURL(/\/unconfirmed/);
  await page.goto(await mailedLink(page, name, '/unconfirmed#token='));
  await expect(page.getByRole('heading', { name: fill(t.home_hello, { name }) })).toBeVisible();
}

/**
 * Fails when the page shows a string that is not in the catalogue of its language: every text
 * node and every accessible-name attribute must be one catalogue entry (placeholders match any
 * text) or one of `data` (what the test typed: names, addresses, dates).
 */
export async function expectOnlyCatalogue(page: Page, t: Texts, data: string[] = []) {
  const shown: string[] = await page.evaluate(() => {
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (node.parentElement?.closest('noscript, script, style, template')) continue;
      const text = (node.textContent ?? '').trim();
      if (text) out.push(text);
    }
    for (const el of Array.from(document.body.querySelectorAll('[aria-label], [placeholder], [title], [alt]'))) {
      for (const name of ['aria-label', 'placeholder', 'title', 'alt']) {
        const value = el.getAttribute(name)?.trim();
        if (value) out.push(value);
      }
    }
    out.push(document.title);
    return out;
  });
  // The switcher names each language in itself.
  const names = LANGS.map((l) => catalogue[l].language_name);
  const patterns = Object.values(t).map(pattern);
  const stray = shown.filter((s) => !data.includes(s) && !names.includes(s) && !patterns.some((p) => p.test(s)));
  expect(stray, `strings on ${page.url()} that are not in the ${t.language_name} catalogue`).toEqual([]);
}

/** Scans the page as it is now; fails with the rule, the element and axe's advice. With `t`, also
 * fails on a string that is not in that catalogue (or in `data`, what the test typed). */
export async function scan(page: Page, what: string, t?: Texts, data: string[] = []) {
  if (t) await expectOnlyCatalogue(page, t, data);
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`);
  console.log(`axe ${what}: ${result.violations.length} violations, ${result.passes.length} rules passed`);
  expect(found, `axe: ${what}`).toEqual([]);
}


/** The 8-digit code in a mail's text ("1234 5678"). */
export function codeIn(text: string): string {
  const found = text.match(/\b(\d{4} \d{4})\b/);
  expect(found, `a code in: ${text}`).toBeTruthy();
  return found![1];
}
