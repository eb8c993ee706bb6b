// The dashboard's connection to the API: live queries over graphql-ws
// (graphql-transport-ws on /graphql), reconnecting by itself, and one-off
// queries and mutations over HTTP POST. The officer's token lives in this
// tab's sessionStorage only.
import { createClient } from 'graphql-ws';
import * as ops from './operations.js';

const tokenKey = 'tracker.token';
const endpoint = new URL('/graphql', location.href);
const wsURL = new URL(endpoint);
wsURL.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

export const getToken = () => sessionStorage.getItem(tokenKey) || '';
export function setToken(token) {
  if (token === getToken()) return;
  if (token) sessionStorage.setItem(tokenKey, token);
  else sessionStorage.removeItem(tokenKey);
  reconnect();
}

// An error of a GraphQL response, with its extensions.code.
export class APIError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join('; '));
    this.errors = errors;
    this.code = errors[0]?.extensions?.code || 'ERROR';
  }
}

// Connection state, for the live indicator: 'connecting', 'live' or
// 'reconnecting'.
let state = 'connecting';
const stateListeners = new Set();
export function onState(fn) {
  stateListeners.add(fn);
  fn(state);
  return () => stateListeners.delete(fn);
}
function setState(s) {
  state = s;
  for (const fn of stateListeners) fn(s);
}

let client;
function newClient() {
  const token = getToken();
  return createClient({
    url: wsURL.href,
    lazy: false,
    keepAlive: 10_000,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      await new Promise((r) => setTimeout(r, Math.min(5000, 300 * 2 ** retries)));
    },
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    onNonLazyError: () => {}, // the indicator shows it; the default logs to the console
    on: {
      connecting: () => setState(state === 'live' ? 'reconnecting' : state),
      connected: () => setState('live'),
      closed: () => setState('reconnecting'),
      error: () => setState('reconnecting'),
    },
  });
}
client = newClient();

// Live subscriptions, so that a new client (after signing in or out) takes
// them over.
const active = new Set();

function start(sub) {
  sub.stop = client.subscribe(
    { query: ops[sub.name], operationName: sub.name, variables: sub.variables },
    {
      next: (msg) => (msg.errors ? sub.onError(new APIError(msg.errors)) : sub.onData(msg.data)),
      error: (err) => sub.onError(err instanceof Error ? err : new Error(errorText(err))),
      complete: () => {},
    },
  );
}

// live runs the named live query and calls onData with each full result;
// it returns the function that stops it.
export function live(name, variables, onData, onError = () => {}) {
  const sub = { name, variables, onData, onError, stop: () => {} };
  active.add(sub);
  start(sub);
  return () => {
    active.delete(sub);
    sub.stop();
  };
}

function reconnect() {
  const old = client;
  setState('connecting');
  client = newClient();
  for (const sub of active) {
    sub.stop();
    start(sub);
  }
  old.dispose();
}

// checkToken returns who token signs in as, asking over a WebSocket of its
// own: a refused token closes it (4403), where a refused HTTP request would
// be logged by the browser as a failed load.
export function checkToken(token) {
  return new Promise((resolve, reject) => {
    const probe = createClient({ url: wsURL.href, lazy: true, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
    const fail = (message, code) => reject(new APIError([{ message, extensions: { code } }]));
    probe.subscribe({ query: ops.Viewer, operationName: 'Viewer' }, {
      next: (msg) => (msg.errors ? reject(new APIError(msg.errors)) : resolve(msg.data.viewer)),
      error: (err) => (Array.isArray(err) ? reject(new APIError(err)) : fail(err?.reason || 'the server refused the token', 'UNAUTHENTICATED')),
      complete: () => {
        probe.dispose();
        fail('the server did not answer', 'UNAVAILABLE'); // ignored once settled
      },
    });
  });
}

// request sends the named operation over HTTP POST and returns its data,
// or throws an APIError.
export async function request(name, variables = {}) {
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const resp = await fetch(endpoint, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: ops[name], operationName: name, variables }),
  });
  let body;
  try {
    body = await resp.json();
  } catch {
    throw new APIError([{ message: `HTTP ${resp.status}`, extensions: { code: 'HTTP_' + resp.status } }]);
  }
  if (body.errors?.length) throw new APIError(body.errors);
  return body.data;
}

function errorText(err) {
  if (Array.isArray(err)) return err.map((e) => e.message).join('; ');
  if (err && typeof err === 'object' && 'code' in err) return `connection closed (${err.code}${err.reason ? ': ' + err.reason : ''})`;
  return String(err);
}
