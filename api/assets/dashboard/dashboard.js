// The dashboard: a first query for the log's head (which also tells whether a key is needed),
// then one query for everything shown, then two subscriptions from that head, so that what
// arrives after the query is replayed by the service and nothing falls in between.

import { query, KeyRequired, Throttled } from './api.js';
import { askForKey, forgetKey, keepKey, storedKey } from './key.js';
import { Live } from './live.js';
import { DeliveryChart, daysOf } from './chart.js';
import { byId, formatNumber, formatPercent, refreshTimes } from './dom.js';
import { eventItem, inboxItem, renderTotals } from './views.js';

const DAYS = 14;
const INBOX_SIZE = 50;
const EVENTS_SIZE = 20;
const REFRESH_DELAY_MS = 400;

const HEAD = `query DashboardHead { events(first: 1, orderBy: POSITION_DESC) { nodes { position } } }`;

const INBOX_FIELDS = `id body phone category occurredAt contact { firstName lastName }`;
const EVENT_FIELDS = `position kind receivedAt payload contact { phone }`;
const COUNTS = `
  totals { contacts subscribed unsubscribed bounced }
  stats(from: $from, to: $to, bucket: DAY, timezone: $timezone) { start delivered failed }`;

const LOAD = `query Dashboard($from: DateTime!, $to: DateTime!, $timezone: String!) {
  ${COUNTS}
  messages(first: ${INBOX_SIZE}, filter: {direction: INBOUND}) { totalCount nodes { ${INBOX_FIELDS} } }
  events(first: ${EVENTS_SIZE}, orderBy: POSITION_DESC) { totalCount nodes { ${EVENT_FIELDS} } }
}`;
const REFRESH = `query DashboardCounts($from: DateTime!, $to: DateTime!, $timezone: String!) { ${COUNTS} }`;

const EVENTS_LIVE = `subscription DashboardEvents($after: Position) {
  events(afterPosition: $after) { ${EVENT_FIELDS} } }`;
const INBOX_LIVE = `subscription DashboardInbox($after: Position) {
  messages(afterPosition: $after, filter: {direction: INBOUND}) { position nodes { ${INBOX_FIELDS} } } }`;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let key = storedKey();
let live = null;
const inbox = { messages: new Map(), total: 0, position: '0' };
const events = { list: [], total: 0, position: '0' };

/** The chart's window: local midnight `DAYS - 1` days ago to the coming midnight. */
function period() {
  const now = new Date();
  const from = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (DAYS - 1));
  const to = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  return { from, variables: { from: from.toISOString(), to: to.toISOString(), timezone } };
}

function notice(message) {
  const node = byId('notice');
  node.textContent = message;
  node.hidden = !message;
}

function connection(state, seconds) {
  const node = byId('connection');
  node.dataset.state = state;
  node.textContent = {
    connecting: 'Connecting…',
    live: 'Live',
    reconnecting: seconds ? `Reconnecting in ${seconds} s` : 'Reconnecting…',
    refused: 'Key refused',
    locked: 'Locked',
  }[state];
}

/**
 * Runs a query with the current key; on a 429 or an outage waits and tries again, so it
 * resolves with data or fails with `KeyRequired` only.
 */
async function ask(document, variables) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const data = await query(document, variables, key);
      notice('');
      return data;
    } catch (error) {
      if (error instanceof KeyRequired) throw error;
      const seconds = error instanceof Throttled ? error.seconds : Math.min(30, 2 ** attempt);
      notice(error instanceof Throttled ? error.message : `${error.message} Trying again in ${seconds} s.`);
      await sleep(seconds * 1000);
    }
  }
}

const chart = new DeliveryChart(byId('chart'), byId('chart-table'));

function showCounts(data, from) {
  renderTotals(data.totals);
  const rate = chart.show(daysOf(from, DAYS, data.stats));
  const delivered = rate === null ? '' : ` · ${formatPercent(rate)} delivered`;
  byId('chart-rate').textContent = `${chart.span()}${delivered}`;
}

function showInbox(fresh) {
  const newest = [...inbox.messages.values()]
    .sort((a, b) => Date.parse(b.occurredAt) - Date.parse(a.occurredAt))
    .slice(0, INBOX_SIZE);
  inbox.messages = new Map(newest.map((m) => [m.id, m]));
  byId('inbox').replaceChildren(...newest.map((m) => inboxItem(m, fresh.has(m.id))));
  byId('inbox-empty').hidden = newest.length > 0;
  byId('inbox-count').textContent = `${formatNumber(inbox.total)} received`;
}

function showEvents(fresh) {
  byId('events').replaceChildren(...events.list.map((e) => eventItem(e, fresh.has(e.position))));
  byId('events-empty').hidden = events.list.length > 0;
  byId('events-count').textContent = `${formatNumber(events.total)} in the log`;
}

let refreshTimer = null;
let refreshes = 0;
/**
 * New events change the totals and the chart: read them again at most every
 * `REFRESH_DELAY_MS`, so a burst (or the replay after a reconnect) costs a few queries. Events
 * that arrive while one is read schedule the next; an answer overtaken by a later one is dropped.
 */
function refreshSoon() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(async () => {
    refreshTimer = null;
    const refresh = ++refreshes;
    const { from, variables } = period();
    try {
      const data = await ask(REFRESH, variables);
      if (refresh === refreshes) showCounts(data, from);
    } catch (error) {
      if (!(error instanceof KeyRequired)) throw error;
      restart('This key is no longer accepted.');
    }
  }, REFRESH_DELAY_MS);
}

// Results are drawn once per frame: a replay of thousands of events redraws the lists a few
// times, not once per event.
const arrived = { inbox: new Set(), events: new Set() };
let frame = null;
function drawSoon() {
  frame ??= requestAnimationFrame(() => {
    frame = null;
    if (arrived.inbox.size) showInbox(arrived.inbox);
    if (arrived.events.size) showEvents(arrived.events);
    arrived.inbox = new Set();
    arrived.events = new Set();
  });
}

function onEvent({ events: event }) {
  if (BigInt(event.position) <= BigInt(events.position)) return;
  events.position = event.position;
  events.total += 1;
  events.list = [event, ...events.list].slice(0, EVENTS_SIZE);
  arrived.events.add(event.position);
  drawSoon();
  refreshSoon();
}

function onInbox({ messages: change }) {
  if (BigInt(change.position) <= BigInt(inbox.position)) return;
  inbox.position = change.position;
  for (const message of change.nodes) {
    if (!inbox.messages.has(message.id)) inbox.total += 1;
    inbox.messages.set(message.id, message);
    arrived.inbox.add(message.id);
  }
  drawSoon();
}

/** Reads the log's head, asking for a key for as long as the service refuses the one it has. */
async function head() {
  for (;;) {
    try {
      const data = await ask(HEAD, {});
      return data.events.nodes[0]?.position ?? '0';
    } catch (refusal) {
      connection('locked');
      key = await askForKey(refusal.sentKey ? 'This key was refused. Check it and try again.' : '');
    }
  }
}

async function start() {
  const position = await head();
  if (key) keepKey(key);
  byId('forget-key').hidden = !key;
  const { from, variables } = period();
  let data;
  try {
    data = await ask(LOAD, variables);
  } catch (error) {
    if (!(error instanceof KeyRequired)) throw error;
    restart('This key is no longer accepted.');
    return;
  }
  byId('board').hidden = false;

  showCounts(data, from);
  inbox.position = position;
  inbox.total = data.messages.totalCount;
  inbox.messages = new Map(data.messages.nodes.map((m) => [m.id, m]));
  showInbox(new Set());
  events.position = position;
  events.total = data.events.totalCount;
  // The page may hold events past the head read first; the subscription skips those.
  events.list = data.events.nodes;
  if (events.list[0]) events.position = events.list[0].position;
  showEvents(new Set());

  live = new Live({
    key,
    onState: (state, seconds) => {
      connection(state, seconds);
      if (state === 'refused') restart('This key was refused by the live connection.');
    },
    onProblem: (message) => notice(`The live connection reported: ${message}`),
  });
  live.subscribe(EVENTS_LIVE, () => ({ after: events.position }), onEvent);
  live.subscribe(INBOX_LIVE, () => ({ after: inbox.position }), onInbox);
  live.start();
}

let restarting = false;
/** Drops the key (refused, or forgotten on request) and starts over once a new one is given. */
async function restart(problem) {
  if (restarting) return;
  restarting = true;
  clearTimeout(refreshTimer);
  refreshTimer = null;
  live?.stop();
  live = null;
  forgetKey();
  connection('locked');
  key = await askForKey(problem);
  restarting = false;
  start();
}

byId('forget-key').addEventListener('click', () => restart(''));
setInterval(refreshTimes, 30_000);
start();
