// Runs graphql-http's GraphQL-over-HTTP server audits against a running service and prints each
// result. Only MUST audits fail the run (status `error`); SHOULD and MAY ones are reported as
// `warn` or `notice` and leave the exit code alone.
//
//   node audit.mjs http://127.0.0.1:8080/graphql

import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint URL>');
  process.exit(2);
}

const results = await auditServer({ url });

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) {
  counts[result.status] += 1;
  const line = `${result.status.padEnd(6)} ${result.name}`;
  console.log(result.status === 'ok' ? line : `${line}\n       ${result.reason}`);
}

console.log(`(${counts.warn} SHOULD not met, ${counts.notice} MAY not met)`);
console.log(`graphql-http audit: ${counts.ok} passed, ${counts.error} failed`);
process.exitCode = counts.error > 0 ? 1 : 0;
