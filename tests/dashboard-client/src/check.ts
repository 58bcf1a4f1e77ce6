// What a dashboard built on ./client.ts relies on, checked against a running mobiniti-events:
// contacts paged to the end forwards and backwards, one cached Contact per id, a subscription
// that catches up then goes live, persisted queries registered once then sent by hash, a CORS
// preflight from a Vite dev server's origin, and a compressed answer.
//
//   node dist/check.js <base URL> <webhook token>
//
// The service must allow http://localhost:5173 (--cors-allowed-origins). The documents are
// typed by graphql-codegen's client preset, generated from the service's own schema.

import { request } from 'node:http';
import { brotliDecompressSync } from 'node:zlib';
import type { NormalizedCacheObject } from '@apollo/client';
import { firstValueFrom, filter } from 'rxjs';
import { dashboardClient } from './client.js';
import { graphql } from './gql/index.js';

const [base, token] = process.argv.slice(2);
if (!base || !token) {
  console.error('usage: node dist/check.js <base URL> <webhook token>');
  process.exit(2);
}
const PAGE = 5;
const CONTACTS = 12;
const VITE = 'http://localhost:5173';

const ContactsPage = graphql(`
  query ContactsPage($first: Int, $after: String, $last: Int, $before: String) {
    contacts(first: $first, after: $after, last: $last, before: $before) {
      edges {
        cursor
        node {
          id
          phone
          subscribed
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`);

const ContactByPhone = graphql(`
  query ContactByPhone($phone: String!) {
    contact(phone: $phone) {
      id
      phone
      firstName
    }
  }
`);

const LiveEvents = graphql(`
  subscription LiveEvents($after: Position) {
    events(afterPosition: $after) {
      position
      kind
    }
  }
`);

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const contactId = (i: number) => `dashboard-contact-${String(i).padStart(3, '0')}`;
const phone = (i: number) => `+1415555${2600 + i}`;

async function deliverContact(i: number) {
  const body = {
    id: contactId(i),
    first_name: `Person ${i}`,
    last_name: null,
    email: null,
    phone_number: phone(i),
    status: 'active',
    created_at: '2026-12-01T10:00:00.000Z',
    updated_at: `2026-12-01T10:${String(i).padStart(2, '0')}:00.000Z`,
  };
  const response = await fetch(`${base}/webhooks/mobiniti/contact-status`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  check(response.ok, `contact ${i}: ${response.status} ${await response.text()}`);
}

/** Every request the client sends: method, URL and body. */
const sent: { method: string; url: string; body: string }[] = [];
const recording: typeof fetch = async (input, init) => {
  sent.push({ method: init?.method ?? 'GET', url: String(input), body: String(init?.body ?? '') });
  return fetch(input, init);
};

/** Pages through every contact: forwards with `first`/`after`, or backwards with `last`/`before`. */
async function pageThrough(direction: 'forwards' | 'backwards') {
  const client = dashboardClient({ base, fetch: recording });
  const variables = direction === 'forwards' ? { first: PAGE } : { last: PAGE };
  const watched = client.watchQuery({ query: ContactsPage, variables });
  const complete = firstValueFrom(watched.pipe(filter((result) => result.dataState === 'complete')));
  const subscription = watched.subscribe(() => {});
  let data = (await complete).data;
  let pages = 1;
  for (;;) {
    check(data, 'a page of contacts');
    const { pageInfo } = data.contacts;
    const more = direction === 'forwards' ? pageInfo.hasNextPage : pageInfo.hasPreviousPage;
    if (!more) break;
    const next =
      direction === 'forwards'
        ? { first: PAGE, after: pageInfo.endCursor }
        : { last: PAGE, before: pageInfo.startCursor };
    const before = data.contacts.edges.length;
    await watched.fetchMore({ variables: next });
    // The merged list reaches the query's subscribers once the cache has broadcast it.
    const merged = await firstValueFrom(
      watched.pipe(
        filter((result) => result.dataState === 'complete' && result.data.contacts.edges.length > before),
      ),
    );
    check(merged.dataState === 'complete', `${direction}: the merged pages are ${merged.dataState}`);
    data = merged.data;
    pages += 1;
    check(pages <= CONTACTS, `${direction}: still paging after ${pages} pages`);
  }
  subscription.unsubscribe();
  const ids = data.contacts.edges.map((edge) => edge.node.id);
  return { client, ids, pages };
}

async function main() {
  for (let i = 1; i <= CONTACTS; i += 1) await deliverContact(i);
  const expected = Array.from({ length: CONTACTS }, (_, i) => contactId(i + 1));

  // Paging to the end, both ways, with the pages merged by relayStylePagination.
  const forwards = await pageThrough('forwards');
  check(forwards.pages === Math.ceil(CONTACTS / PAGE), `forwards took ${forwards.pages} pages`);
  check(new Set(forwards.ids).size === CONTACTS, `forwards: ${forwards.ids.length} contacts, ${new Set(forwards.ids).size} distinct`);
  check([...forwards.ids].sort().join() === expected.join(), `forwards: ${forwards.ids}`);
  const backwards = await pageThrough('backwards');
  check(backwards.ids.join() === forwards.ids.join(), `backwards ${backwards.ids} against forwards ${forwards.ids}`);
  console.log(`paged ${CONTACTS} contacts forwards (${forwards.pages} pages) and backwards (${backwards.pages} pages)`);

  // The normalized cache: one Contact per id, which another query's answer updates in place.
  const client = forwards.client;
  const normalized = () => client.cache.extract() as NormalizedCacheObject;
  const cachedContacts = () => Object.keys(normalized()).filter((key) => key.startsWith('Contact:'));
  check(cachedContacts().length === CONTACTS, `${cachedContacts().length} Contact objects cached`);
  const one = await client.query({ query: ContactByPhone, variables: { phone: phone(3) } });
  check(one.data?.contact?.id === contactId(3), `contact by phone: ${JSON.stringify(one.data)}`);
  check(cachedContacts().length === CONTACTS, `after contact(phone:), ${cachedContacts().length} Contact objects`);
  const entry = normalized()[`Contact:${contactId(3)}`];
  check(entry?.firstName === 'Person 3' && entry?.subscribed === true, `Contact:${contactId(3)} is ${JSON.stringify(entry)}`);
  console.log(`one Contact per id in the cache (${CONTACTS}), merged across queries`);

  // Persisted queries: ContactsPage's text went over the wire once, when the first client met
  // PERSISTED_QUERY_NOT_FOUND; every other request of either client carried its hash alone, by
  // GET, the second client's first one included (the service kept the registration).
  const withText = sent.filter((request) => request.body.includes('query ContactsPage') || decodeURIComponent(request.url).includes('query ContactsPage'));
  const hashOnly = sent.filter((request) => request.method === 'GET' && request.url.includes('persistedQuery') && !new URL(request.url).searchParams.has('query'));
  check(withText.length === 1, `ContactsPage's text was sent ${withText.length} times`);
  check(hashOnly.length >= forwards.pages + backwards.pages, `${hashOnly.length} hash-only GETs of ${sent.length} requests`);
  console.log(`persisted queries: ContactsPage registered once, then ${hashOnly.length} hash-only GETs`);

  // A subscription that replays the log from the start, then carries what comes next.
  const seen: string[] = [];
  const live = client.subscribe({ query: LiveEvents, variables: { after: '0' } }).subscribe((result) => {
    if (result.data) seen.push(result.data.events.position);
  });
  const until = async (count: number) => {
    const deadline = Date.now() + 10_000;
    while (seen.length < count) {
      check(Date.now() < deadline, `${seen.length} of ${count} events`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await until(CONTACTS);
  await deliverContact(CONTACTS + 1);
  await until(CONTACTS + 1);
  live.unsubscribe();
  const positions = seen.map(Number);
  check(positions.every((position, i) => position === i + 1), `positions ${positions}`);
  console.log(`subscription: ${CONTACTS} events caught up, then 1 live, in order`);

  // A Vite dev server's preflight, and a compressed answer.
  const preflight = await raw('OPTIONS', '/graphql', {
    origin: VITE,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'content-type,authorization',
  });
  check(preflight.headers['access-control-allow-origin'] === VITE, `preflight: ${JSON.stringify(preflight.headers)}`);
  const introspection = encodeURIComponent('{ __schema { types { name description } } }');
  const compressed = await raw('GET', `/graphql?query=${introspection}`, { 'accept-encoding': 'br' });
  check(compressed.headers['content-encoding'] === 'br', `encoding: ${compressed.headers['content-encoding']}`);
  const answer = JSON.parse(brotliDecompressSync(compressed.body).toString('utf8'));
  check(Array.isArray(answer.data?.__schema?.types), 'the decompressed answer is the schema');
  console.log(`CORS preflight from ${VITE} allowed; introspection answered in br (${compressed.body.length} bytes)`);
}

/** A request as a browser's network stack sends it, without fetch's own decoding. */
function raw(method: string, path: string, headers: Record<string, string>) {
  return new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const sending = request(`${base}${path}`, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
    });
    sending.on('error', reject);
    sending.end();
  });
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
