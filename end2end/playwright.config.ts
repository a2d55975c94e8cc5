// End-to-end tests: the built `madblog` binary on its own port and data directory, driven in
// Debian's Chromium (Playwright's own browser download can't work here).
import { defineConfig } from '@playwright/test';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';

const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
// A second server whose session tokens rotate every few seconds (sessions.spec.ts).
const rotatingPort = port + 50;
const ROTATING_URL = `http://127.0.0.1:${rotatingPort}`;
const root = path.resolve(__dirname, '..');
const bin = process.env.MADBLOG_BIN ?? path.join(root, 'target/debug/madblog');
// The bundle is always the release build (split into chunks, as shipped): its hash file names its
// files, whichever server binary runs.
const hashFile = process.env.MADBLOG_HASH_FILE ?? path.join(root, 'target/release/hash.txt');

function server(at: number, url: string, env: Record<string, string> = {}) {
  return {
    command: bin,
    cwd: root,
    url: `${url}/healthz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    env: {
      APP_ENV: 'development',
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'madblog-e2e-')),
      LEPTOS_SITE_ADDR: `127.0.0.1:${at}`,
      APP_URL: url,
      // (`LEPTOS_HASH_FILE`: the key Leptos.toml's settings take from the environment.)
      LEPTOS_HASH_FILE: hashFile,
      RUST_LOG: process.env.RUST_LOG ?? 'info,sqlx=warn',
      // Every test registers from 127.0.0.1: the per-address limit is the API tests' subject.
      REGISTRATIONS_PER_IP: '100000',
      ...env,
    },
  };
}

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
  webServer: [
    server(port, baseURL),
    // Tokens rotate past 2 s, and the previous generation is good for 3 s after the next one's
    // first use: a test can outwait both in seconds, where the defaults take minutes.
    server(rotatingPort, ROTATING_URL, { SESSION_TTL_SECONDS: '4', SESSION_REUSE_GRACE_SECONDS: '3' }),
  ],
});
