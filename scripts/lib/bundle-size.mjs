// The one definition of the SDK's bundle-size entries and budgets (3.5 KB and 5 KB, 1 KB =
// 1000 bytes, from the benchmarks issue): what a user's bundler
// ships for "login only" and "login + session", minified (esbuild) and gzipped (level 9).
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { join } from 'node:path';
import { repoRoot } from './run.mjs';

/** Each entry: what a user imports, and its budget in gzipped bytes. */
export const bundleEntries = [
  { name: 'login only', imports: 'createAuthClient', budgetBytes: 3500 },
  { name: 'login + session', imports: 'createAuthClient, createTokenSession', budgetBytes: 5000 },
];

/** Bundles one entry from the SDK's built `dist/` and resolves to its sizes. */
export async function measureBundle({ imports }) {
  const result = await build({
    stdin: {
      contents: `export { ${imports} } from '@lumminary/auth-sdk';`,
      resolveDir: join(repoRoot, 'packages/sdk'),
      loader: 'js',
    },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { minifiedBytes: code.length, gzippedBytes: gzipSync(code, { level: 9 }).length };
}
