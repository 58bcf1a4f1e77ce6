// Drives a running mobiniti-events with graphql-sse, the reference client of the GraphQL over
// Server-Sent Events protocol, in its distinct connections mode (one stream per operation): a
// live subscription sees webhooks posted after it started, a catch-up subscription replays the
// log from position 0 and then goes on live with no gap and no duplicate, a typed subscription
// sees the messages, and a query gets its one result.
//
//   node client.mjs http://127.0.0.1:8080 <webhook token>

import { createClient } from 'graphql-sse';

const [base, token] = process.argv.slice(2);
if (!base || !token) {
  console.error('usage: node client.mjs <service URL> <webhook token>');
  process.exit(2);
}
const TIMEOUT_MS = 10_000;

const client = createClient({
  url: `${base}/graphql/stream`,
  singleConnection: false,
  // A failure must show, not be retried away.
  retryAttempts: 0,
});

/**
 * Subscribes and collects results until `done(received)` holds, or until the operation
 * completes when `done` is omitted; fails on the time limit, on errors, and on a `complete`
 * that comes before `done` holds.
 */
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
          if (done && done(received)) {
            clearTimeout(timer);
            resolve(received);
          }
        },
        error: (err) => reject(err instanceof Error ? err : new Error(JSON.stringify(err))),
        complete: () => {
          clearTimeout(timer);
          if (done && !done(received)) {
            reject(new Error(`completed early with ${JSON.stringify(received)} for ${query}`));
          }
          resolve(received);
        },
      },
    );
  });
  return { finished: finished.finally(() => dispose()) };
}

// Texts of this run: the graphql-ws check may have posted the vendor's examples to the same
// service already, and a redelivery is no new event.
const run = Date.now();
let sent = 0;

/** Posts a new inbound message and returns its position. */
async function deliver() {
  sent += 1;
  const body = JSON.stringify({
    id: 'graphql-sse-check',
    phone_number: '+13035550100',
    message: `graphql-sse check ${run} #${sent}`,
    received_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
  });
  const url = `${base}/webhooks/mobiniti/inbound-message?token=${token}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  if (!response.ok) throw new Error(`inbound-message: ${response.status} ${await response.text()}`);
  const receipt = await response.json();
  if (receipt.duplicate) throw new Error(`inbound-message #${sent} was taken for a redelivery`);
  return receipt.position;
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const positions = (received) => received.map((data) => Number(data.events.position));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

try {
  // The head of the log before this run: the graphql-ws check may have posted already.
  const [before] = await collect('{ events(first: 1) { totalCount } }').finished;
  const start = before.events.totalCount;

  // Live: only what is posted after the subscription started.
  const live = collect('subscription { events { position kind } }', (r) => r.length >= 3);
  await sleep(500);
  const posted = [];
  for (let n = 0; n < 3; n++) posted.push(await deliver());
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
  posted.push(await deliver());
  posted.push(await deliver());
  const caught = positions(await catchUp.finished);
  const expected = Array.from({ length: head + 2 }, (_, i) => i + 1);
  check(
    JSON.stringify(caught) === JSON.stringify(expected),
    `catch-up: expected ${expected}, got ${caught}`,
  );
  console.log(`catch-up: positions 1..${caught.length} once each, in order, live after the replay`);

  // Typed: this run's first message, replayed.
  const first = `graphql-sse check ${run} #1`;
  const typed = collect(
    'subscription { messages(afterPosition: "0", filter: {direction: INBOUND}) { position kind nodes { body } } }',
    (r) => r.some((data) => data.messages.nodes.some((node) => node.body === first)),
  );
  const replayed = await typed.finished;
  const message = replayed.find((data) => data.messages.nodes.some((node) => node.body === first));
  check(
    message.messages.kind === 'INBOUND_MESSAGE' && message.messages.position === String(posted[0]),
    `typed: expected the message of position ${posted[0]}, got ${JSON.stringify(message)}`,
  );
  console.log(`typed: message at position ${message.messages.position}`);

  // A query: one result, then `complete`.
  const answers = await collect('{ events(first: 1) { totalCount } }').finished;
  check(
    answers.length === 1 && answers[0].events.totalCount === start + sent,
    `query: expected one answer counting ${start + sent} events, got ${JSON.stringify(answers)}`,
  );
  console.log(`query: one answer (${answers[0].events.totalCount} events), then complete`);
} catch (err) {
  console.error(`graphql-sse client: ${err.message}`);
  client.dispose();
  process.exit(1);
}

client.dispose();
console.log('graphql-sse client: all checks passed');
