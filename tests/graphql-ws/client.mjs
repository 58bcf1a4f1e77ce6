// Drives a running mobiniti-events with graphql-ws, the reference client of the
// graphql-transport-ws protocol: a live subscription sees webhooks posted after it started, a
// catch-up subscription replays the log from position 0 and then goes on live, with no gap and
// no duplicate, and a typed subscription sees the messages.
//
//   node client.mjs http://127.0.0.1:8080 <webhook token>

import { readFile } from 'node:fs/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [base, token] = process.argv.slice(2);
if (!base || !token) {
  console.error('usage: node client.mjs <service URL> <webhook token>');
  process.exit(2);
}
const TIMEOUT_MS = 10_000;
const fixtures = new URL('../fixtures/vendor/', import.meta.url);

const client = createClient({
  url: `${base.replace(/^http/, 'ws')}/graphql`,
  webSocketImpl: WebSocket,
  lazy: false,
  retryAttempts: 0,
});

/** Subscribes and collects `next` payloads until `done(received)` holds or the time is up. */
function collect(query, done) {
  const received = [];
  let dispose;
  const finished = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out with ${JSON.stringify(received)} for ${query}`)),
      TIMEOUT_MS,
    );
    dispose = client.subscribe(
      { query },
      {
        next: (result) => {
          if (result.errors) reject(new Error(JSON.stringify(result.errors)));
          received.push(result.data);
          if (done(received)) {
            clearTimeout(timer);
            resolve(received);
          }
        },
        error: (err) => reject(err instanceof Error ? err : new Error(JSON.stringify(err))),
        complete: () => {},
      },
    );
  });
  return { finished: finished.finally(() => dispose()) };
}

async function deliver(kind) {
  const body = await readFile(new URL(`${kind}.json`, fixtures));
  const response = await fetch(`${base}/webhooks/mobiniti/${kind}?token=${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  if (!response.ok) throw new Error(`${kind}: ${response.status} ${await response.text()}`);
  return (await response.json()).position;
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const positions = (received) => received.map((data) => Number(data.events.position));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Live: only what is posted after the subscription started.
const kinds = ['inbound-message', 'unsubscribe', 'bounce'];
const live = collect('subscription { events { position kind } }', (r) => r.length >= kinds.length);
await sleep(500);
const posted = [];
for (const kind of kinds) posted.push(await deliver(kind));
const liveSeen = positions(await live.finished);
check(
  JSON.stringify(liveSeen) === JSON.stringify(posted),
  `live: expected positions ${posted}, got ${liveSeen}`,
);
console.log(`live: positions ${liveSeen.join(', ')} as posted`);

// Catch-up from 0, then live across the switch-over.
const head = posted[posted.length - 1];
const catchUp = collect(
  'subscription { events(afterPosition: "0") { position kind } }',
  (r) => r.length >= head + 2,
);
await sleep(300);
posted.push(await deliver('contact-status'));
posted.push(await deliver('delivery-report'));
const caught = positions(await catchUp.finished);
const expected = Array.from({ length: head + 2 }, (_, i) => i + 1);
check(
  JSON.stringify(caught) === JSON.stringify(expected),
  `catch-up: expected ${expected}, got ${caught}`,
);
console.log(`catch-up: positions 1..${caught.length} once each, in order, live after the replay`);

// Typed: the inbound example's message, replayed.
const typed = collect(
  'subscription { messages(afterPosition: "0", filter: {direction: INBOUND}) { position kind nodes { body } } }',
  (r) => r.length >= 1,
);
const [message] = await typed.finished;
check(
  message.messages.kind === 'INBOUND_MESSAGE' &&
    message.messages.nodes[0].body === 'This is an example message',
  `typed: unexpected ${JSON.stringify(message)}`,
);
console.log(`typed: message at position ${message.messages.position}`);

await client.dispose();
console.log('graphql-ws client: all checks passed');
