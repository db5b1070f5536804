#!/usr/bin/env node
// Marks a CommonJS build folder as such (`{"type":"commonjs"}`), inside a package whose
// own `type` is `module`. Usage: node scripts/mark-cjs.mjs <dist/cjs>
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const folder = process.argv[2];
if (!folder) {
  console.error('usage: node scripts/mark-cjs.mjs <folder>');
  process.exit(2);
}
await writeFile(join(resolve(folder), 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
