// End-to-end tests: the built `madblog` binary on its own port and data directory, driven in
// Debian's Chromium (Playwright's own browser download can't work here).
import { defineConfig } from '@playwright/test';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';

const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
const root = path.resolve(__dirname, '..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'madblog-e2e-'));

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  // The README's screenshots (screenshots.spec.ts) live with the docs, and a run rewrites one only
  // when its page changed beyond the tolerance the test allows.
  snapshotPathTemplate: '{testDir}/../../docs/screenshots/{arg}{ext}',
  updateSnapshots: 'changed',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: process.env.MADBLOG_BIN ?? path.join(root, 'target/debug/madblog'),
    cwd: root,
    url: `${baseURL}/healthz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      APP_ENV: 'development',
      DATA_DIR: dataDir,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      APP_URL: baseURL,
      RUST_LOG: process.env.RUST_LOG ?? 'info,sqlx=warn',
      // Every test registers from 127.0.0.1: the per-address limit is the API tests' subject.
      REGISTRATIONS_PER_IP: '100000',
    },
  },
});
