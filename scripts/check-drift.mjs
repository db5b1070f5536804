#!/usr/bin/env node
// Fails when the committed generated files no longer match the spec. Run it before
// (not inside) any task that regenerates, or it would compare against fresh output.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderGeneratedFiles } from './lib/codegen.mjs';
import { repoRoot } from './lib/run.mjs';

const stale = [];
for (const [path, expected] of await renderGeneratedFiles()) {
  const committed = await readFile(join(repoRoot, path), 'utf8').catch(() => undefined);
  if (committed === undefined) stale.push(`${path} (missing)`);
  else if (committed !== expected) stale.push(path);
}
if (stale.length > 0) {
  console.error(`drift check: these generated files do not match openapi/:\n  ${stale.join('\n  ')}`);
  console.error('Run `npm run generate`, review the diff, and commit it.');
  process.exit(1);
}
console.log('drift check: generated files match the spec.');
