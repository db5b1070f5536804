#!/usr/bin/env node
// Runs the Redocly CLI from the repository root, so that it reads the one root
// `redocly.yaml` (API alias, lint rules, `telemetry: off`) whichever package calls it.
// Usage: node scripts/redocly.mjs <lint|bundle|build-docs> [redocly args...]
import { fileURLToPath } from 'node:url';
import { runBin } from './lib/run.mjs';

/** The API alias declared in redocly.yaml. */
const apiAlias = 'auth@v1';

/** Runs `redocly <command> auth@v1 ...args` and resolves to its exit code. */
export function redocly(command, args = []) {
  return runBin('@redocly/cli', 'redocly', [command, apiAlias, ...args], {
    env: { REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.error('usage: node scripts/redocly.mjs <lint|bundle|build-docs> [args...]');
    process.exit(2);
  }
  process.exitCode = await redocly(command, args);
}
