// GraphQL-over-HTTP conformance audit of a running server:
//
//	node web/e2e/audit.mjs <GraphQL endpoint URL>
//	node web/e2e/audit.mjs http://127.0.0.1:8080/graphql
//
// It runs the server audits of the pinned npm package graphql-http
// (web/package.json) with Node's fetch, prints one line per audit — ok, or
// the requirement level that failed and why — then a summary. It exits 1 if
// any MUST audit fails; SHOULD and MAY failures are listed but do not fail
// the run. A server that refuses anonymous requests needs a token: set
// AUDIT_TOKEN and every request carries `Authorization: Bearer <token>`.
//
// Only loopback addresses are accepted, every request has a 10 s timeout and
// the whole run stops after 120 s.
import { serverAudits } from 'graphql-http';

const [url] = process.argv.slice(2);
if (!url) {
  console.error('usage: node web/e2e/audit.mjs <GraphQL endpoint URL, e.g. http://127.0.0.1:8080/graphql>');
  process.exit(2);
}
const host = new URL(url).hostname;
if (!['localhost', '127.0.0.1', '[::1]', '::1'].includes(host) && !host.startsWith('127.')) {
  console.error(`audit: refusing ${host}: this audit targets loopback servers only`);
  process.exit(2);
}

const watchdog = setTimeout(() => {
  console.error('audit: FAIL: timed out after 120 s');
  process.exit(1);
}, 120_000);

const requestTimeout = 10_000;
const token = process.env.AUDIT_TOKEN;

// fetchFn adds the credentials, if any, and a timeout to every request.
function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers);
  if (token && !headers.has('authorization')) {
    headers.set('authorization', `Bearer ${token}`);
  }
  return fetch(input, { ...init, headers, signal: AbortSignal.timeout(requestTimeout) });
}

// describe returns a failed audit's reason with the start of the response
// body, which usually says what the server objected to.
async function describe(result) {
  let body = '';
  try {
    body = (await result.response.clone().text()).replace(/\s+/g, ' ').slice(0, 300);
  } catch {
    // a consumed or aborted body: the reason alone
  }
  const status = result.response ? `HTTP ${result.response.status}` : 'no response';
  const type = result.response?.headers.get('content-type') ?? '';
  return `${result.reason} [${status}${type ? `, ${type}` : ''}]${body ? ` body: ${body}` : ''}`;
}

const counts = { ok: 0, MUST: 0, SHOULD: 0, MAY: 0 };
const failures = [];
for (const audit of serverAudits({ url, fetchFn })) {
  const level = audit.name.split(' ')[0];
  let result;
  try {
    result = await audit.fn();
  } catch (err) {
    // graphql-http throws only on fatal errors, such as no connection.
    result = { id: audit.id, name: audit.name, status: 'error', reason: `fatal: ${err.message}` };
  }
  if (result.status === 'ok') {
    counts.ok++;
    console.log(`ok      ${audit.id} ${audit.name}`);
    continue;
  }
  counts[level]++;
  const why = result.response ? await describe(result) : result.reason;
  failures.push({ id: audit.id, level, name: audit.name, why });
  console.log(`${level.padEnd(7)} ${audit.id} ${audit.name}\n        ${why}`);
}
clearTimeout(watchdog);

console.log(`\n${counts.ok} ok, ${counts.MUST} MUST failed, ${counts.SHOULD} SHOULD failed, ${counts.MAY} MAY failed`);
for (const level of ['MUST', 'SHOULD', 'MAY']) {
  const list = failures.filter((f) => f.level === level);
  if (list.length > 0) {
    console.log(`${level} failures: ${list.map((f) => f.id).join(', ')}`);
  }
}
process.exit(counts.MUST > 0 ? 1 : 0);
