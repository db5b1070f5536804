#!/usr/bin/env node
// Regenerates the SDK's committed files in packages/sdk/src/generated/ from the spec.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { renderGeneratedFiles } from './lib/codegen.mjs';
import { repoRoot } from './lib/run.mjs';

for (const [path, content] of await renderGeneratedFiles()) {
  await mkdir(dirname(join(repoRoot, path)), { recursive: true });
  await writeFile(join(repoRoot, path), content);
  console.log(`generated ${path}`);
}
