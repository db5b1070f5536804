// One way to run a dependency's command-line tool from the repository root.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root (where redocly.yaml and openapi/ live). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const require = createRequire(join(repoRoot, 'package.json'));

/** Absolute path of the JavaScript entry of `packageName`'s `bin` called `binName`. */
export function binPath(packageName, binName) {
  const manifestPath = require.resolve(`${packageName}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const relative = typeof bin === 'string' ? bin : bin?.[binName];
  if (!relative) throw new Error(`${packageName} has no bin named ${binName}`);
  return join(dirname(manifestPath), relative);
}

/**
 * Runs a package's CLI with the current Node.js, in the repository root, and resolves
 * to its exit code. Standard streams are inherited.
 */
export function runBin(packageName, binName, args, { env = {}, stdio = 'inherit' } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [binPath(packageName, binName), ...args], {
      cwd: repoRoot,
      stdio,
      env: { ...process.env, NO_UPDATE_NOTIFIER: '1', ...env },
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)));
  });
}
