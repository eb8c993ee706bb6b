// graphql-transport-ws check of a running server with the pinned npm client
// graphql-ws (web/package.json), the happy path:
//
//	node --experimental-websocket web/e2e/live.mjs <GraphQL endpoint URL> <action item slug>
//
// It connects (with LIVE_TOKEN as `{"authorization": "Bearer …"}` in
// connection_init, when set), prints `connected`, subscribes to
// actionItemChanged for the item, prints `subscribed`, then prints the first
// event as JSON on one line and exits 0. Whoever runs it makes the change
// once it printed `subscribed` (graph/live_test.go waits for the server to
// hold the subscription). It exits 1 on an error, a completion without an
// event, or after 30 s. Only loopback addresses are accepted.
import { createClient } from 'graphql-ws';

const [url, slug] = process.argv.slice(2);
if (!url || !slug) {
  console.error('usage: node --experimental-websocket web/e2e/live.mjs <GraphQL endpoint URL> <action item slug>');
  process.exit(2);
}
const endpoint = new URL(url);
const host = endpoint.hostname;
if (!['localhost', '127.0.0.1', '[::1]', '::1'].includes(host) && !host.startsWith('127.')) {
  console.error(`live: refusing ${host}: this check targets loopback servers only`);
  process.exit(2);
}
endpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

setTimeout(() => {
  console.error('live: FAIL: no event after 30 s');
  process.exit(1);
}, 30_000).unref();

const token = process.env.LIVE_TOKEN;
const client = createClient({
  url: endpoint.href,
  lazy: false,
  retryAttempts: 0,
  connectionParams: token ? { authorization: `Bearer ${token}` } : undefined,
  on: { connected: () => console.log('connected') },
});

const query = `subscription($f: ActionItemFilter) {
  actionItemChanged(filter: $f) { kind previousStatus actionItem { slug status } auditEntry { action toStatus } }
}`;

try {
  const events = client.iterate({ query, variables: { f: { slug: { eq: slug } } } });
  const first = events.next();
  console.log('subscribed');
  const { value, done } = await first;
  if (done) {
    console.error('live: FAIL: the subscription completed without an event');
    process.exit(1);
  }
  if (value.errors) {
    console.error(`live: FAIL: ${JSON.stringify(value.errors)}`);
    process.exit(1);
  }
  console.log(JSON.stringify(value.data));
  await events.return();
  await client.dispose();
  process.exit(0);
} catch (err) {
  console.error(`live: FAIL: ${err instanceof Error ? err.message : JSON.stringify(err)}`);
  process.exit(1);
}
