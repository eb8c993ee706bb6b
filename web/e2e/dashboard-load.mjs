// First-load time of the dashboard's overview, in headless Chromium:
//
//	node web/e2e/dashboard-load.mjs <base URL> [runs]
//
// Each run opens /dashboard/ in a fresh browser context (an empty cache) and
// times, from the start of the navigation, until the overview shows its first
// page of initiatives and the deployment chart (the overview live query's
// first result drawn). It prints each time and the median, in ms, as JSON.
// The measurement behind the README's figure at N = 10,000
// (`tracker seed --synthetic 10000`).
import { chromium } from 'playwright-core';

const [baseURL, runsArg] = process.argv.slice(2);
if (!baseURL) {
  console.error('usage: node web/e2e/dashboard-load.mjs <base URL> [runs]');
  process.exit(2);
}
const runs = Number(runsArg || 5);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
const times = [];
let initiatives = '';
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(new URL('/dashboard/', baseURL).href);
  await page.locator('ul.initiatives > li').first().waitFor({ timeout: 30_000 });
  await page.locator('figure.series canvas').first().waitFor({ timeout: 30_000 });
  times.push(Math.round(await page.evaluate(() => performance.now())));
  initiatives = await page.locator('#initiatives-h').textContent();
  await context.close();
}
await browser.close();
const sorted = [...times].sort((a, b) => a - b);
console.log(JSON.stringify({ initiatives, times, medianMs: sorted[Math.floor(sorted.length / 2)] }));
