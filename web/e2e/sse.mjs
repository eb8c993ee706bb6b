// graphql-sse check of a running server with the pinned npm client
// graphql-sse (web/package.json), distinct connections mode:
//
//	node web/e2e/sse.mjs <GraphQL endpoint URL> <action item slug>
//
// It subscribes to actionItemChanged for the item over Server-Sent Events
// (with LIVE_TOKEN as `Authorization: Bearer …`, when set), prints
// `connected` once the server answered with its stream, then prints the
// first event as JSON on one line and exits 0. Whoever runs it makes the
// change once it printed `connected` (graph/sse_test.go waits for the
// server to hold the subscription). It exits 1 on an error, a completion
// without an event, or after 30 s. Only loopback addresses are accepted.
import { createClient } from 'graphql-sse';

const [url, slug] = process.argv.slice(2);
if (!url || !slug) {
  console.error('usage: node web/e2e/sse.mjs <GraphQL endpoint URL> <action item slug>');
  process.exit(2);
}
const host = new URL(url).hostname;
if (!['localhost', '127.0.0.1', '[::1]', '::1'].includes(host) && !host.startsWith('127.')) {
  console.error(`sse: refusing ${host}: this check targets loopback servers only`);
  process.exit(2);
}

setTimeout(() => {
  console.error('sse: FAIL: no event after 30 s');
  process.exit(1);
}, 30_000).unref();

const token = process.env.LIVE_TOKEN;
const client = createClient({
  url,
  retryAttempts: 0,
  headers: token ? { authorization: `Bearer ${token}` } : {},
});

const query = `subscription($f: ActionItemFilter) {
  actionItemChanged(filter: $f) { kind previousStatus actionItem { slug status } auditEntry { action toStatus } }
}`;

try {
  const events = client.iterate(
    { query, variables: { f: { slug: { eq: slug } } } },
    { connected: () => console.log('connected') },
  );
  const { value, done } = await events.next();
  if (done) {
    console.error('sse: FAIL: the subscription completed without an event');
    process.exit(1);
  }
  if (value.errors) {
    console.error(`sse: FAIL: ${JSON.stringify(value.errors)}`);
    process.exit(1);
  }
  console.log(JSON.stringify(value.data));
  await events.return();
  client.dispose();
  process.exit(0);
} catch (err) {
  console.error(`sse: FAIL: ${err instanceof Error ? err.message : JSON.stringify(err)}`);
  process.exit(1);
}
