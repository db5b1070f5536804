#!/usr/bin/env node
// Builds the spec's outputs into packages/openapi/dist/: the bundled single-file spec
// (YAML and JSON) and the HTML API reference (Redoc, scripts inlined so the page needs
// no CDN; telemetry off via redocly.yaml).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from './lib/run.mjs';
import { redocly } from './redocly.mjs';

const outDir = 'packages/openapi/dist';
await rm(join(repoRoot, outDir), { recursive: true, force: true });
const steps = [
  ['bundle', '--output', `${outDir}/openapi.yaml`],
  ['bundle', '--output', `${outDir}/openapi.json`],
  ['build-docs', '--inlineBundle', '--title', 'Lumminary API — authentication', '--output', `${outDir}/index.html`],
];
for (const [command, ...args] of steps) {
  const code = await redocly(command, args);
  if (code !== 0) process.exit(code);
}
