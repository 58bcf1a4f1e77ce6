// Opens the dashboard of a real mobiniti-events in headless Chromium and checks what a visitor
// sees: the key form (the service has API keys), then the totals, the inbox, the chart and the
// events from Mobiniti's six examples, a webhook posted afterwards appearing without a reload,
// and the key remembered across a reload. Every request the page makes must go to the service.
//
//   node dashboard.mjs <path to the mobiniti-events binary>
//
// SCREENSHOT=<file.png> saves a full-page screenshot at the end; COLOR_SCHEME=dark takes it dark.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startService, stopService } from './service.mjs';

const binary = process.argv[2];
if (!binary) {
  console.error('usage: node dashboard.mjs <path to mobiniti-events>');
  process.exit(2);
}
const TOKEN = 'browser-test-webhook-token';
const KEY = 'browser-test-read-key-0123456789';
const TIMEZONE = 'America/New_York';
const LIVE_TIMEOUT_MS = 10_000;
const KINDS = ['inbound-message', 'unsubscribe', 'bounce', 'delivery-report', 'contact-status', 'rejection'];
const fixtures = new URL('../fixtures/vendor/', import.meta.url);

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Starts the service on `listen` with a fresh SQLite file and an API key. */
function startDashboardService(dir, listen = '127.0.0.1:0') {
  const args = [
    '--listen', listen,
    '--database-url', `sqlite://${join(dir, 'dashboard.db')}?mode=rwc`,
    '--webhook-token', TOKEN,
    '--api-key', `read:${KEY}`,
  ];
  return startService(binary, args, dir);
}

async function deliver(base, kind, body) {
  const response = await fetch(`${base}/webhooks/mobiniti/${kind}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body,
  });
  const answer = await response.text();
  check(response.ok, `${kind}: ${response.status} ${answer}`);
  return JSON.parse(answer);
}

/** Today's date where the browser is, as the chart names its days. */
const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: TIMEZONE }).format(new Date());

/** The running service; `run` restarts it once, on the same address and database. */
let service;

async function run(dir, browser) {
  const { base } = service;
  for (const kind of KINDS) await deliver(base, kind, await readFile(new URL(`${kind}.json`, fixtures)));
  const reportDay = today();

  const context = await browser.newContext({
    timezoneId: TIMEZONE,
    viewport: { width: 1280, height: 900 },
    colorScheme: process.env.COLOR_SCHEME === 'dark' ? 'dark' : 'light',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(LIVE_TIMEOUT_MS);
  const origin = new URL(base);
  const foreign = [];
  const consoleErrors = [];
  const outageErrors = [];
  let outage = false;
  const pageErrors = [];
  const elsewhere = (url) => {
    const target = new URL(url);
    return target.host !== origin.host || !['http:', 'ws:'].includes(target.protocol);
  };
  context.on('request', (request) => elsewhere(request.url()) && foreign.push(request.url()));
  page.on('websocket', (socket) => elsewhere(socket.url()) && foreign.push(socket.url()));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    (outage ? outageErrors : consoleErrors).push({ text: message.text(), url: message.location().url });
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));

  const response = await page.goto(`${base}/`);
  check(response.status() === 200, `GET / answered ${response.status()}`);
  const policy = response.headers()['content-security-policy'] ?? '';
  check(policy.includes("default-src 'none'") && policy.includes("connect-src 'self'"), `CSP: ${policy}`);

  // The service has keys: the page asks for one, and says so when it is refused.
  await page.locator('#key-panel').waitFor({ state: 'visible' });
  check(await page.locator('#board').isHidden(), 'the board shows before a key was given');
  await page.fill('#key-input', 'not-the-key');
  await page.press('#key-input', 'Enter');
  await page.locator('#key-error', { hasText: 'refused' }).waitFor();
  await page.fill('#key-input', KEY);
  await page.click('#key-form button[type=submit]');
  await page.locator('#board').waitFor({ state: 'visible' });
  check(await page.locator('#key-panel').isHidden(), 'the key form stays after a good key');

  // Totals, as the README's example gives them for the six examples.
  const total = (name) => page.locator(`[data-total="${name}"]`);
  for (const [name, value] of [['contacts', '1'], ['subscribed', '0'], ['unsubscribed', '1'], ['bounced', '1']]) {
    const shown = (await total(name).textContent()).trim();
    check(shown === value, `total ${name}: expected ${value}, shown ${shown}`);
  }

  // The inbox holds the example's text, from its sender.
  const example = page.locator('#inbox li', { hasText: 'This is an example message' });
  await example.waitFor();
  check((await example.textContent()).includes('+19999999999'), 'the inbox row lacks the phone');

  // The log's six events, newest first.
  const positions = await page.locator('#events li').evaluateAll((rows) => rows.map((r) => r.dataset.position));
  check(JSON.stringify(positions) === '["6","5","4","3","2","1"]', `events: ${positions}`);

  // One delivered status on the day the report arrived; no other bar.
  const day = page.locator(`#chart g.day[data-day="${reportDay}"]`);
  check((await day.getAttribute('data-delivered')) === '1', `no delivered bar on ${reportDay}`);
  check((await day.locator('rect.bar.delivered').count()) === 1, 'the delivered bar is not drawn');
  check((await page.locator('#chart rect.bar').count()) === 1, 'bars on days without reports');
  check((await page.locator('#chart g.day').count()) === 14, 'the chart does not span 14 days');
  check((await page.locator('#chart-table tbody tr').count()) === 14, 'the chart table lacks days');
  check((await page.locator('#chart svg').getAttribute('aria-label')).includes('1 delivered'), 'chart label');

  // Live: a new inbound text shows up without a reload. Its text is markup, which must stay text.
  await page.locator('#connection[data-state="live"]').waitFor();
  const text = `<img src=/x onerror=alert(1)> live ${Date.now()} ✓`;
  const inbound = JSON.parse(
    (await readFile(new URL('inbound-message.json', fixtures), 'utf8')).replace(/,\s*}\s*$/, '}'),
  );
  const now = new Date().toISOString();
  const receipt = await deliver(base, 'inbound-message', JSON.stringify({ ...inbound, message: text, received_at: now, updated_at: now }));
  const posted = Date.now();
  await page.locator('#inbox li').first().filter({ hasText: text }).waitFor({ timeout: LIVE_TIMEOUT_MS });
  console.log(`live: the new text was on the page ${Date.now() - posted} ms after its webhook's answer`);
  await page.locator(`#events li[data-position="${receipt.position}"]`).first().waitFor();
  // That text, newer than the contact's unsubscribe, made it subscribed again: the totals follow.
  await page.locator('[data-total="subscribed"]', { hasText: /^1$/ }).waitFor();
  await page.locator('[data-total="unsubscribed"]', { hasText: /^0$/ }).waitFor();
  check((await page.locator('#inbox img, #events img').count()) === 0, 'message text was parsed as HTML');

  // The service goes away; a text arrives meanwhile (through another process on the same
  // database, on another port), then the service comes back: the page reconnects by itself and
  // shows the text, which it can only get by resuming from the last position it saw.
  outage = true;
  await stopService(service.child);
  await page.locator('#connection[data-state="reconnecting"]').waitFor();
  const other = await startDashboardService(dir);
  const after = `while the page was away ${Date.now()}`;
  await deliver(other.base, 'inbound-message', JSON.stringify({ ...inbound, message: after, received_at: new Date().toISOString() }));
  await stopService(other.child);
  service = await startDashboardService(dir, origin.host);
  await page.locator('#inbox li').first().filter({ hasText: after }).waitFor({ timeout: 3 * LIVE_TIMEOUT_MS });
  await page.locator('#connection[data-state="live"]').waitFor();
  outage = false;
  // While the service was down, Chromium reports the refused connections itself.
  const refused = outageErrors.filter((e) => !/ERR_CONNECTION_REFUSED|WebSocket connection to .* failed/.test(e.text));
  check(refused.length === 0, `console errors during the restart: ${JSON.stringify(refused)}`);
  console.log(`restart: reconnected and replayed the text posted while away (${outageErrors.length} refused connection(s) reported meanwhile)`);

  // The key is remembered: a reload goes straight to the board.
  await page.reload();
  await page.locator('#board').waitFor({ state: 'visible' });
  check(await page.locator('#key-panel').isHidden(), 'the key was asked again after a reload');
  await page.locator('#inbox li', { hasText: text }).waitFor();
  await page.locator('#inbox li').first().filter({ hasText: after }).waitFor();
  await page.locator('#connection[data-state="live"]').waitFor();

  if (process.env.SCREENSHOT) {
    await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
    console.log(`screenshot: ${process.env.SCREENSHOT}`);
  }

  // Forgetting the key asks for one again.
  await page.click('#forget-key');
  await page.locator('#key-panel').waitFor({ state: 'visible' });
  check(
    (await page.evaluate(() => Object.keys(localStorage))).length === 0,
    'the key is still in localStorage after "Forget key"',
  );

  check(foreign.length === 0, `requests to elsewhere: ${foreign.join(', ')}`);
  check(pageErrors.length === 0, `page errors: ${pageErrors.join('; ')}`);
  // Chromium reports every 4xx in the console itself; the two 401s of `/graphql` that the test
  // provoked (no key, then a wrong one) are those, and nothing else may be there.
  const expected = consoleErrors.filter(
    (e) => e.url === `${base}/graphql` && e.text.includes('status of 401'),
  );
  check(expected.length === 2, `expected the two 401s in the console, got ${JSON.stringify(consoleErrors)}`);
  const unexpected = consoleErrors.filter((e) => !expected.includes(e));
  check(unexpected.length === 0, `console errors: ${JSON.stringify(unexpected)}`);
  await context.close();
}

const dir = await mkdtemp(join(tmpdir(), 'mobiniti-events-dashboard-'));
let browser;
try {
  service = await startDashboardService(dir);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  await run(dir, browser);
  console.log('dashboard: all checks passed');
} catch (error) {
  console.error(`dashboard: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await browser?.close();
  if (service) await stopService(service.child);
  await rm(dir, { recursive: true, force: true });
}
