// Browser check of the dashboard (web/dashboard, served at /dashboard/), run
// by graph/dashboard_browser_test.go:
//
//	DASHBOARD_TOKEN=<officer token> node web/e2e/dashboard.mjs <base URL>
//
// In headless Chromium, with every request to another origin aborted, it
// checks that the overview shows the seeded initiatives and the 10,629 figure
// in a chart; that clicking that figure shows its source excerpt; every other
// view; that an officer's move in one browser context reaches a second
// context within 1 s without a reload; that a stale move (the second officer
// decided on what they saw before the first moved the item) shows the
// CONFLICT explained; with FAILOVER_URL set, that after a POST there drops
// the live connections the dashboard reconnects by itself and follows the
// data again; the phone-width layout; and no console errors. The
// token must be an OFFICER's scoped to united-nations, on the seed data.
// Screenshots of each view go to ARTIFACTS (default web/artifacts/dashboard).
// It prints a JSON summary and exits 0, or prints why it failed and exits 1.
// The whole run stops after 55 s.
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

const [baseURL] = process.argv.slice(2);
const token = process.env.DASHBOARD_TOKEN;
if (!baseURL || !token) {
  console.error('usage: DASHBOARD_TOKEN=<officer token> node web/e2e/dashboard.mjs <base URL>');
  process.exit(2);
}
const origin = new URL(baseURL).origin;
const url = new URL('/dashboard/', baseURL).href;
const artifacts = process.env.ARTIFACTS || join('web', 'artifacts', 'dashboard');
await mkdir(artifacts, { recursive: true });
const stepTimeout = 10_000;

const watchdog = setTimeout(() => {
  console.error(`dashboard check: FAIL: timed out after 55 s at: ${step}`);
  process.exit(1);
}, 55_000);

const blocked = [];
const consoleErrors = [];
const summary = {};
let step = 'launching Chromium';
let browser;
const pages = []; // [name, page], screenshot on a failure

async function newPage(viewport, name) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(stepTimeout);
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith('data:') || u.startsWith('blob:') || new URL(u).origin === origin) return route.continue();
    blocked.push(u);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  pages.push([name, page]);
  page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(`${name}: ${msg.text()}`); });
  page.on('pageerror', (err) => consoleErrors.push(`${name}: ${err}`));
  return page;
}
const shot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
const live = (page) => page.locator('#live[data-state=live]').waitFor();

async function signIn(page) {
  await page.getByLabel('Officer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Signed in:').waitFor();
}

// accessible fails unless every visible control of the page has a name
// (a label for inputs, text or aria-label for buttons and links), or if the
// page shows an error (such as an operation the server does not trust).
async function accessible(page, view) {
  const unnamed = await page.evaluate(() => [...document.querySelectorAll('input, textarea, select, button, a[href]')]
    .filter((el) => el.offsetParent !== null || el.closest('dialog[open]'))
    .filter((el) => {
      if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
      if (['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)) return !(el.labels && el.labels.length) && !el.closest('label');
      return !el.textContent.trim();
    })
    .map((el) => el.outerHTML.slice(0, 80)));
  if (unnamed.length) throw new Error(`${view}: controls without a name: ${unnamed.join(' ')}`);
  const error = await page.locator('#error:not([hidden])').textContent({ timeout: 100 }).catch(() => null);
  if (error) throw new Error(`${view}: the page shows an error: ${error}`);
}

// card is an action item's card in the board column of a status.
const card = (page, status, slug) => page.locator(`.column[data-status=${status}] li[data-slug="${slug}"]`);

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
    timeout: stepTimeout,
  });
  const a = await newPage({ width: 1280, height: 800 }, 'officer A');

  step = `loading the overview at ${url}`;
  const started = Date.now();
  const response = await a.goto(url, { waitUntil: 'load' });
  if (!response.ok()) throw new Error(`HTTP ${response.status()}`);
  if (blocked.length) throw new Error('the page needs other origins');
  await a.locator('ul.initiatives').getByRole('link', { name: 'West Africa Coast Initiative' }).waitFor();
  await a.locator('ul.initiatives').getByRole('link', { name: 'ECOWAS Regional Action Plan' }).waitFor();
  step = 'waiting for the 10,629 figure in the chart';
  const chart = a.locator('figure.series');
  await chart.locator('canvas').first().waitFor();
  await chart.getByRole('button', { name: /^10,629 / }).waitFor();
  summary.overviewMs = Date.now() - started;
  await live(a);
  await a.locator('.totals .progress').waitFor(); // the all-items aggregate, a query of its own
  await shot(a, '1-overview');
  await accessible(a, 'overview');

  step = 'filtering the initiatives by status';
  await a.getByLabel('Status').selectOption('PIPELINE');
  await a.locator('#initiatives-h', { hasText: '1–1 of 1' }).waitFor();
  await a.locator('ul.initiatives').getByRole('link', { name: 'Framework for broader co-operation between the UN and INTERPOL' }).waitFor();
  await a.getByLabel('Status').selectOption('');
  await a.locator('#initiatives-h', { hasText: 'of 3' }).waitFor();

  step = 'clicking 10,629 for its source';
  await chart.getByRole('button', { name: /^10,629 / }).click();
  const dialog = a.locator('#provenance');
  await dialog.locator('blockquote.excerpt').first().waitFor();
  summary.excerpt = await dialog.locator('blockquote.excerpt').first().textContent();
  if (!summary.excerpt.includes('10,629')) throw new Error(`the excerpt does not support 10,629: ${summary.excerpt}`);
  summary.source = await dialog.locator('.source').first().textContent();
  await shot(a, '2-provenance');
  await a.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });

  step = 'the statistics view';
  await a.getByRole('link', { name: 'Statistics' }).click();
  await a.getByRole('button', { name: /^187 countries/ }).waitFor();
  await a.getByRole('button', { name: /^as of / }).waitFor();
  await a.locator('table').getByRole('button', { name: /^Actual 10,629 / }).waitFor(); // baseline → actual
  step = 'opening a source with the keyboard';
  const figure = a.getByRole('button', { name: /^187 countries/ });
  await figure.focus();
  await a.keyboard.press('Enter');
  await dialog.locator('blockquote.excerpt', { hasText: '187 member countries' }).waitFor();
  await a.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  if (!(await figure.evaluate((el) => el === document.activeElement))) throw new Error('closing the source does not return the focus');
  await accessible(a, 'statistics');
  await shot(a, '3-statistics');

  step = 'the organizations view';
  await a.getByRole('link', { name: 'Organizations' }).click();
  await a.getByRole('button', { name: /^Police Division/ }).click();
  await a.locator('.detail h2', { hasText: 'Police Division' }).waitFor();
  await shot(a, '4-organizations');
  await accessible(a, 'organizations');

  step = 'the search view';
  await a.getByRole('link', { name: 'Search' }).click();
  await a.getByLabel('Search everything').fill('trafficking');
  await a.getByLabel('Search everything').press('Enter');
  await a.locator('.snippet mark').first().waitFor();
  summary.searchResults = await a.locator('ol.results > li').count();
  await shot(a, '5-search');
  await accessible(a, 'search');

  step = 'the initiative page, signed in';
  const initiative = `${url}#/initiative/ecowas-regional-action-plan`;
  await a.goto(initiative);
  await signIn(a);
  await card(a, 'NOT_STARTED', 'un-raise-awareness').waitFor();
  await a.locator('ol.timeline li').first().waitFor();
  await shot(a, '6-initiative');
  await accessible(a, 'initiative');

  const b = await newPage({ width: 1280, height: 800 }, 'officer B');
  await b.goto(initiative);
  await signIn(b);
  await card(b, 'NOT_STARTED', 'un-raise-awareness').waitFor();
  await live(b);

  // move opens an item's dialog on page and moves it to the first allowed status.
  const openMove = async (page, slug) => {
    await card(page, 'NOT_STARTED', slug).getByRole('button', { name: 'Move…' }).click();
    await page.locator('#move').getByRole('radio', { name: 'in progress' }).check();
  };

  step = 'officer A moves an item; B sees it without reloading';
  await openMove(a, 'un-raise-awareness');
  const moved = Date.now();
  await a.locator('#move').getByRole('button', { name: 'Move', exact: true }).click();
  await card(b, 'IN_PROGRESS', 'un-raise-awareness').waitFor({ timeout: 1000 });
  summary.liveMoveMs = Date.now() - moved;
  await a.locator('#move').waitFor({ state: 'hidden' });

  step = 'a stale move shows the conflict';
  await openMove(b, 'un-mobilize-political-support'); // B decides on NOT_STARTED…
  await openMove(a, 'un-mobilize-political-support');
  await a.locator('#move').getByRole('button', { name: 'Move', exact: true }).click(); // …A moves it first
  await card(b, 'IN_PROGRESS', 'un-mobilize-political-support').waitFor({ timeout: 1000 });
  await b.locator('#move').getByRole('button', { name: 'Move', exact: true }).click();
  const conflict = b.locator('#move .move-status.conflict');
  await conflict.waitFor();
  summary.conflict = (await conflict.textContent()).trim();
  if (!summary.conflict.includes('CONFLICT')) throw new Error(`the conflict is not explained: ${summary.conflict}`);
  await b.locator('#move ol.history li', { hasText: 'not started → in progress' }).waitFor();
  await shot(b, '7-conflict');
  await accessible(b, 'move dialog');

  if (process.env.FAILOVER_URL) {
    step = 'the server drops the live connections; the dashboard reconnects by itself';
    await b.locator('#move').getByRole('button', { name: 'Close' }).click();
    const dropped = await fetch(process.env.FAILOVER_URL, { method: 'POST' });
    if (!dropped.ok) throw new Error(`failover: HTTP ${dropped.status}`);
    await b.locator('#live[data-state=reconnecting]').waitFor();
    await b.locator('#live[data-state=live]').waitFor();
    await a.locator('#live[data-state=live]').waitFor();
    await openMove(a, 'un-advisory-services');
    const again = Date.now();
    await a.locator('#move').getByRole('button', { name: 'Move', exact: true }).click();
    await card(b, 'IN_PROGRESS', 'un-advisory-services').waitFor({ timeout: 1000 });
    summary.afterReconnectMoveMs = Date.now() - again;
  }

  step = 'the phone-width layout';
  const phone = await newPage({ width: 390, height: 844 }, 'phone');
  await phone.goto(initiative);
  await card(phone, 'IN_PROGRESS', 'un-raise-awareness').waitFor();
  step = 'a refused token is said so and forgotten';
  await phone.getByLabel('Officer token').fill('trk_not-a-token');
  await phone.getByRole('button', { name: 'Sign in' }).click();
  await phone.getByRole('alert').filter({ hasText: 'The token was not accepted' }).waitFor();
  await phone.getByLabel('Officer token').waitFor();
  await card(phone, 'IN_PROGRESS', 'un-raise-awareness').waitFor();
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  if (overflow > 1) throw new Error(`the initiative page is ${overflow}px wider than a phone`);
  await shot(phone, '8-phone-initiative');
  await phone.goto(url);
  await phone.locator('figure.series canvas').first().waitFor();
  await shot(phone, '9-phone-overview');

  if (blocked.length) throw new Error(`requests to other origins: ${blocked.join(', ')}`);
  if (consoleErrors.length) throw new Error(`console errors: ${consoleErrors.join(' | ')}`);
  console.log(JSON.stringify(summary));
  clearTimeout(watchdog);
  await browser.close();
  process.exit(0);
} catch (err) {
  console.error(`dashboard check: FAIL at ${step}: ${err.message.split('\n')[0]}`);
  if (consoleErrors.length) console.error(`console errors: ${consoleErrors.join(' | ')}`);
  for (const [name, page] of pages) {
    await page.screenshot({ path: join(artifacts, `failure-${name.replaceAll(' ', '-')}.png`), fullPage: true }).catch(() => {});
  }
  process.exit(1);
}
