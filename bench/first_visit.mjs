// Bytes on the wire and time to hydration of /login in headless Chromium, each visit in a fresh
// browser context (an empty cache), then one repeat visit in the same context (a warm cache).
//
//   node bench/first_visit.mjs http://127.0.0.1:PORT [runs]
//
// Prints one JSON line. Hydration time is from navigation start to the moment the app marks
// itself hydrated (data-hydrated="true", polled every 5 ms in the page).
import { chromium } from '@playwright/test';

const [base, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 10);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
});

async function visit(page) {
  const responses = [];
  const onResponse = (r) => responses.push(r);
  page.on('response', onResponse);
  await page.goto(`${base}/login`);
  const hydratedAt = await page.waitForFunction(
    () => document.querySelector('[data-hydrated="true"]') && performance.now(), null, { polling: 5 });
  await page.waitForLoadState('networkidle');
  page.off('response', onResponse);
  let bytes = 0;
  const files = {};
  for (const r of responses) {
    const sizes = await r.request().sizes();
    const total = sizes.responseBodySize + sizes.responseHeadersSize;
    bytes += total;
    files[new URL(r.url()).pathname.replace(/\.[\w-]{22}\./, '.')] = total;
  }
  return { ms: await hydratedAt.jsonValue(), bytes, files };
}

const cold = [];
let warm;
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  cold.push(await visit(page));
  if (i === runs - 1) warm = await visit(page);
  await context.close();
}
await browser.close();
const times = cold.map((v) => v.ms).sort((a, b) => a - b);
const median = (times[(runs - 1) >> 1] + times[runs >> 1]) / 2;
console.log(JSON.stringify({
  runs, hydrated_ms_median: median, hydrated_ms_min: times[0], hydrated_ms_max: times[runs - 1],
  first_visit_bytes: cold[0].bytes, first_visit_files: cold[0].files,
  repeat_visit_bytes: warm.bytes, repeat_visit_files: warm.files,
}));
