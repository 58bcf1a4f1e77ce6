// The README's quick start, as a newcomer follows it: `serve` in a fresh folder with no flag but
// the port, the dashboard open in a browser, `simulate` in the same folder (it finds the token
// `serve` generated), and the page filling in while the campaign runs, without a reload, until
// its totals are those the API reports.
//
//   node quickstart.mjs <path to the mobiniti-events binary>
//
// SCREENSHOT=<file.png> saves the dashboard at the end (the README's picture, docs/dashboard.png).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { runBinary, startService, stopService } from './service.mjs';

const binary = process.argv[2];
if (!binary) {
  console.error('usage: node quickstart.mjs <path to mobiniti-events>');
  process.exit(2);
}
const CONTACTS = 50;
const TIMEOUT_MS = 30_000;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Runs `simulate` to its end; resolves with its standard output, rejects on a failure. */
function simulate(dir, base) {
  const child = runBinary(binary, ['simulate', '--target', base, '--contacts', String(CONTACTS), '--rate', '40', '--seed', '11'], dir);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`simulate exited with ${code}:\n${stdout}\n${stderr}`)),
    );
  });
}

async function totalsFromTheApi(base) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ contacts { totalCount } messages(filter: {direction: INBOUND}) { totalCount } }' }),
  });
  const answer = await response.json();
  check(response.ok && !answer.errors, `the API: ${JSON.stringify(answer)}`);
  return { contacts: answer.data.contacts.totalCount, inbound: answer.data.messages.totalCount };
}

const dir = await mkdtemp(join(tmpdir(), 'mobiniti-events-quickstart-'));
let service;
let browser;
try {
  service = await startService(binary, ['--listen', '127.0.0.1:0'], dir);
  const { base } = service;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(TIMEOUT_MS);
  const origin = new URL(base);
  const problems = [];
  page.on('request', (request) => new URL(request.url()).host !== origin.host && problems.push(`request to ${request.url()}`));
  page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

  // 1. The page of a fresh service: open (no key on loopback), live, empty.
  await page.goto(`${base}/`);
  await page.locator('#board').waitFor({ state: 'visible' });
  await page.locator('#connection[data-state="live"]').waitFor();
  const contacts = page.locator('[data-total="contacts"]');
  check((await contacts.textContent()).trim() === '0', 'a fresh store shows contacts');

  // 2. `simulate` in the same folder, with no token given; the page fills in while it runs.
  const started = Date.now();
  const finished = simulate(dir, base);
  await page.locator('[data-total="contacts"]', { hasText: /^[1-9]/ }).waitFor();
  await page.locator('#inbox li').first().waitFor();
  const firstData = Date.now() - started;
  const summary = await finished;
  check(summary.includes('refused                0'), `simulate refused webhooks:\n${summary}`);

  // 3. Without a reload, the page comes to what the API says.
  const expected = await totalsFromTheApi(base);
  check(expected.contacts === CONTACTS, `the API counts ${expected.contacts} contacts`);
  await page.locator('[data-total="contacts"]', { hasText: new RegExp(`^${expected.contacts}$`) }).waitFor();
  await page.locator('#inbox li').nth(Math.min(expected.inbound, 10) - 1).waitFor();
  check((await page.locator('#chart rect.bar').count()) > 0, 'no delivery bar after a campaign');
  check((await page.locator('#events li').count()) > 10, 'the latest events are not listed');
  check(problems.length === 0, problems.join('\n'));
  console.log(`quick start: first data on the page ${firstData} ms after simulate started; ${expected.contacts} contacts, ${expected.inbound} inbound texts shown live`);

  if (process.env.SCREENSHOT) {
    await page.waitForTimeout(500);
    await page.screenshot({ path: process.env.SCREENSHOT, fullPage: false });
    console.log(`screenshot: ${process.env.SCREENSHOT}`);
  }
  console.log('quick start: all checks passed');
} catch (error) {
  console.error(`quick start: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await browser?.close();
  if (service) await stopService(service.child);
  await rm(dir, { recursive: true, force: true });
}
