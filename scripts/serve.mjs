#!/usr/bin/env node
// Starts the reference auth server (packages/server, built) on 127.0.0.1.
// Usage: node scripts/serve.mjs [--port 4011]   (or PORT=4011; 0 picks a free port)
// Accounts: $LUMMINARY_ACCOUNTS_FILE, else the demo accounts (packages/server/README.md).
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(
    'Usage: node scripts/serve.mjs [--port N]  (default: $PORT, else 4011; accounts: $LUMMINARY_ACCOUNTS_FILE, else demo)',
  );
  process.exit(0);
}
const portText = values.port ?? process.env.PORT ?? '4011';
const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
if (!(port >= 0 && port <= 65535)) {
  console.error(`serve: invalid port ${JSON.stringify(portText)} (an integer from 0 to 65535)`);
  process.exit(2);
}

let server;
try {
  const { startAuthServer, demoAccountsFile, accountsFileEnv } = await import('@lumminary/auth-server');
  server = await startAuthServer({ port });
  const accounts = process.env[accountsFileEnv] || `${demoAccountsFile} (demo accounts)`;
  console.log(`Lumminary reference auth server: ${server.url}  (POST ${server.url}/auth/jwt)`);
  console.log(`accounts: ${accounts}`);
} catch (error) {
  const hint = error?.code === 'ERR_MODULE_NOT_FOUND' ? ' (build it first: npm run build)' : '';
  console.error(`serve: ${error instanceof Error ? error.message : String(error)}${hint}`);
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
