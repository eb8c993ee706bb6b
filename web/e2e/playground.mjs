// Browser check of the GraphiQL playground (graph/playground.go), run by
// graph/playground_browser_test.go:
//
//	node web/e2e/playground.mjs <base URL> <expected substring of the result>
//
// It opens the page in headless Chromium with every request to another origin
// aborted, which proves the playground works without internet access. It then
// checks that GraphiQL renders with the default query in the editor and the
// documentation explorer open, runs the query and waits for the result to
// contain the expected substring. It prints a JSON summary and exits 0, or
// prints why it failed and exits 1. Every wait is bounded; the whole run stops
// after 55 s.
import { chromium } from 'playwright-core';

const [baseURL, want] = process.argv.slice(2);
if (!baseURL || !want) {
  console.error('usage: node web/e2e/playground.mjs <base URL> <expected substring of the result>');
  process.exit(2);
}
const origin = new URL(baseURL).origin;
const stepTimeout = 15_000;

// A last resort if something hangs outside Playwright's own timeouts; Playwright
// closes the browser it launched when the process exits.
const watchdog = setTimeout(() => {
  console.error('playground check: FAIL: timed out after 55 s');
  process.exit(1);
}, 55_000);

const blocked = []; // requests to other origins: each is a failure
const consoleErrors = [];
let step = 'launching Chromium';
let browser;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
    timeout: stepTimeout,
  });
  const context = await browser.newContext(); // fresh storage, so GraphiQL shows the default query
  context.setDefaultTimeout(stepTimeout);
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) {
      return route.continue();
    }
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
  page.on('pageerror', (err) => consoleErrors.push(String(err)));

  step = `loading ${baseURL}`;
  const response = await page.goto(baseURL, { waitUntil: 'load' });
  if (!response.ok()) throw new Error(`HTTP ${response.status()}`);
  if (blocked.length > 0) throw new Error('the page needs other origins'); // fail now, not at a later timeout
  const title = await page.title();

  step = 'waiting for GraphiQL to render';
  await page.locator('.graphiql-container').waitFor();

  // GraphiQL 4 edits with CodeMirror 5, which hangs its API on the element.
  const editorText = (selector) => page.evaluate((s) => document.querySelector(s)?.CodeMirror?.getValue() ?? null, selector);
  step = 'reading the query editor';
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
  const query = await editorText('.graphiql-query-editor .CodeMirror');
  if (!query?.trim() || query.includes('Welcome to GraphiQL')) {
    throw new Error(`the editor does not hold our default query: ${JSON.stringify(query)}`);
  }

  // GraphiQL hides a closed plugin pane by moving it off-screen with opacity 0,
  // which Playwright still counts as visible: check the button and the geometry.
  step = 'waiting for the documentation explorer to be open and show the schema';
  await page.locator('.graphiql-sidebar button[aria-label="Hide Documentation Explorer"]').waitFor();
  await page.locator('.graphiql-doc-explorer .graphiql-doc-explorer-root-type').first().waitFor();
  await page.waitForFunction(() => {
    const pane = document.querySelector('.graphiql-doc-explorer')?.closest('.graphiql-plugin');
    const box = pane?.getBoundingClientRect();
    return box && box.left >= 0 && box.width > 100 && getComputedStyle(pane).opacity !== '0';
  }, null, { timeout: stepTimeout });
  const explorerPlugin = await page.getByRole('button', { name: /GraphiQL Explorer/ }).count() > 0;

  step = 'running the query';
  await page.locator('.graphiql-execute-button').click();
  step = `waiting for the result to contain ${JSON.stringify(want)}`;
  const resultHas = (w) => (document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue() ?? '').includes(w);
  await page.waitForFunction(resultHas, want, { timeout: stepTimeout }).catch(async (err) => {
    const got = await editorText('.graphiql-response .CodeMirror');
    throw new Error(`${err.message.split('\n')[0]}; the result pane shows: ${JSON.stringify(got?.slice(0, 500))}`);
  });
  const result = await editorText('.graphiql-response .CodeMirror');

  step = 'checking for blocked requests and console errors';
  if (blocked.length > 0) throw new Error(`the page requested other origins: ${blocked.join(', ')}`);
  if (consoleErrors.length > 0) throw new Error(`console errors: ${consoleErrors.join(' | ')}`);

  console.log(JSON.stringify({
    ok: true, url: baseURL, title, query, docsExplorerOpen: true, explorerPlugin,
    resultBytes: result.length, blockedRequests: 0, consoleErrors: 0,
  }));
} catch (err) {
  const extra = [
    blocked.length > 0 ? `blocked requests: ${blocked.join(', ')}` : '',
    consoleErrors.length > 0 ? `console errors: ${consoleErrors.join(' | ')}` : '',
  ].filter(Boolean);
  console.error(`playground check: FAIL while ${step}: ${err.message}${extra.length ? `\n${extra.join('\n')}` : ''}`);
  process.exitCode = 1;
} finally {
  await browser?.close();
  clearTimeout(watchdog);
}
