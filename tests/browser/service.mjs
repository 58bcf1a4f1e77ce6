// The service as the browser tests run it: the built binary, none of its settings taken from
// this environment, started until it says where it listens, and stopped by its PID.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The binary with `args` in `cwd`, without the service's environment variables. */
export function runBinary(binary, args, cwd) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(API_KEYS|DATABASE_URL|LISTEN_ADDR|WEBHOOK_TOKEN|PUBLIC_URL|LOG_FORMAT|SIMULATE_)/.test(name)) {
      delete env[name];
    }
  }
  return spawn(binary, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts `serve` with `args`; resolves with the child and its base URL once it listens. */
export async function startService(binary, args, cwd) {
  const child = runBinary(binary, ['serve', ...args], cwd);
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start:\n${stderr}`)), 20_000);
    child.on('exit', (code) => reject(new Error(`the service exited with ${code}:\n${stderr}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const found = line.match(/^mobiniti-events is listening on (http:\/\/\S+)$/);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
  });
  return { child, base };
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. */
export async function stopService(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => process.kill(child.pid, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
