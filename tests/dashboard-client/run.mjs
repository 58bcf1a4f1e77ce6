// Runs the dashboard client check against the built binary: starts the service (SQLite in a
// temporary folder, http://localhost:5173 allowed), generates the client's types from its
// schema with graphql-codegen, type-checks and compiles the client with tsc, runs it, and stops
// the service by its PID.
//
//   node run.mjs <path to the mobiniti-events binary>

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startService, stopService } from '../browser/service.mjs';

const binary = process.argv[2];
if (!binary) {
  console.error('usage: node run.mjs <path to mobiniti-events>');
  process.exit(2);
}
const here = fileURLToPath(new URL('.', import.meta.url));
const TOKEN = 'dashboard-client-webhook-token';
const bin = (name) => join(here, 'node_modules', '.bin', name);

const dir = await mkdtemp(join(tmpdir(), 'mobiniti-dashboard-client-'));
const { child, base } = await startService(
  binary,
  [
    '--listen', '127.0.0.1:0',
    '--database-url', `sqlite://${join(dir, 'client.db')}?mode=rwc`,
    '--webhook-token', TOKEN,
    '--cors-allowed-origins', 'http://localhost:5173',
  ],
  dir,
);
let status = 1;
try {
  const run = (command, args, env = {}) =>
    execFileSync(command, args, { cwd: here, stdio: 'inherit', env: { ...process.env, ...env } });
  run(bin('graphql-codegen'), ['--config', 'codegen.yml'], { SCHEMA_URL: `${base}/graphql` });
  run(bin('tsc'), ['--project', 'tsconfig.json']);
  run(process.execPath, ['dist/check.js', base, TOKEN]);
  status = 0;
} catch (error) {
  console.error(error.message);
} finally {
  await stopService(child);
  await rm(dir, { recursive: true, force: true });
}
process.exit(status);
