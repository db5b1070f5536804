#!/usr/bin/env node
// Regenerates the committed generated files from the specs (see lib/codegen.mjs).
// Usage: node scripts/generate.mjs [package-dir]   e.g. packages/sdk; default: all.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { renderGeneratedFiles } from './lib/codegen.mjs';
import { repoRoot } from './lib/run.mjs';

const only = process.argv[2]?.replace(/\/+$/, '');
for (const [path, content] of await renderGeneratedFiles()) {
  if (only && !path.startsWith(`${only}/`)) continue;
  await mkdir(dirname(join(repoRoot, path)), { recursive: true });
  await writeFile(join(repoRoot, path), content);
  console.log(`generated ${path}`);
}
