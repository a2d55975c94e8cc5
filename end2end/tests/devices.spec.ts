// "Your devices" on the settings page, in each language: every session listed with its device,
// this one marked; logging another one out ends it there; "log out everywhere else".
import { test, expect, open, uniqueName, logIn, confirmedUser, fill, catalogue, scan, LANGS, PHONE } from './helpers';

for (const lang of LANGS) {
  const t = catalogue[lang];
  test.describe(lang, () => {
    test.use({ locale: lang });

    test('the devices list shows each session and logs another one out', async ({ page, browser }) => {
      const name = uniqueName('dev');
      await confirmedUser(page, name, t);

      const phoneContext = await browser.newContext({ locale: lang, userAgent: PHONE });
      const phone = await phoneContext.newPage();
      await open(phone, '/login');
      await logIn(phone, name, t);
      await expect(phone.getByTestId('profile-username')).toHaveText(name);

      // The phone sees the same two sessions, with itself as "this device".
      await open(phone, '/settings/account');
      const phoneRows = phone.getByTestId('devices').locator('li');
      await expect(phoneRows).toHaveCount(2);
      const android = fill(t.device_agent, { browser: 'Chrome', system: 'Android' });
      await expect(phoneRows.filter({ has: phone.locator('.badge') })).toContainText(android);

      await open(page, '/settings/account');
      const rows = page.getByTestId('devices').locator('li');
      await expect(rows).toHaveCount(2);
      const here = rows.filter({ has: page.locator('.badge') });
      await expect(here).toHaveCount(1);
      await expect(here.locator('.badge')).toHaveText(t.device_current);
      const other = rows.filter({ hasText: fill(t.device_summary, { agent: android, address: '127.0.0.1' }) });
      await expect(other).toHaveCount(1);
      await scan(page, `${lang} settings, devices`, t, [name]);

      await other.getByRole('button', { name: t.device_log_out }).click();
      await expect(rows).toHaveCount(1);
      await phone.reload();
      await expect(phone).toHaveURL(/\/login/);

      // Two more sessions, then everything but this one ends.
      for (let i = 0; i < 2; i++) {
        const context = await browser.newContext({ locale: lang });
        const other = await context.newPage();
        await open(other, '/login');
        await logIn(other, name, t);
        await expect(other.getByTestId('profile-username')).toHaveText(name);
        await context.close();
      }
      await page.reload();
      await expect(rows).toHaveCount(3);
      await page.getByRole('button', { name: t.devices_log_out_others }).click();
      await expect(page.getByRole('status')).toHaveText(fill(t.devices_ended, { count: '2' }));
      await expect(rows).toHaveCount(1);
      await phoneContext.close();
    });
  });
}
