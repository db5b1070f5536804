#!/usr/bin/env node
// Builds the spec's outputs into packages/openapi/dist/: the bundled single-file spec
// (YAML and JSON) and the HTML API reference (Redoc, scripts inlined and the attribution
// logo made local, so the page loads nothing from a CDN; telemetry off via redocly.yaml).
import { readFile, rm, writeFile } from 'node:fs/promises';
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

// Redoc always renders its "API docs by Redocly" logo from Redocly's CDN: serve a local text mark instead.
const pagePath = join(repoRoot, outDir, 'index.html');
const localLogo = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="20"><text x="0" y="15" font-family="sans-serif" font-size="12" fill="#888">API docs by Redocly</text></svg>',
)}`;
const page = await readFile(pagePath, 'utf8');
const cdnLogo = /https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(?:-full)?\.svg/g;
if (!cdnLogo.test(page))
  throw new Error('build-spec: the Redoc logo URL was not found; check the page for CDN requests');
await writeFile(pagePath, page.replace(cdnLogo, localLogo));
