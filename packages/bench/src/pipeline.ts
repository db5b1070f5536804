// Wall time of the turbo pipeline (lint → generate → typecheck → build): cold (`--force`,
// every task executes) against fully cached (nothing changed since).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(join(repoRoot, 'package.json'));

function runTurbo(extraArgs: string[]): { ms: number; output: string } {
  const turbo = join(dirname(require.resolve('turbo/package.json')), 'bin', 'turbo');
  const start = process.hrtime.bigint();
  const result = spawnSync(turbo, ['run', 'build', 'typecheck', '--output-logs=errors-only', ...extraArgs], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`turbo failed:\n${result.stdout}\n${result.stderr}`);
  return { ms, output: result.stdout };
}

/** Times one cold and then the median of three fully cached pipeline runs. */
export function measurePipeline(): { coldMs: number; cachedMs: number; cachedTasks: string } {
  const cold = runTurbo(['--force']);
  const cachedRuns = [runTurbo([]), runTurbo([]), runTurbo([])];
  const sorted = cachedRuns.map((run) => run.ms).sort((a, b) => a - b);
  const cachedTasks = /Cached:\s+(\d+ cached, \d+ total)/u.exec(cachedRuns[2]!.output)?.[1] ?? 'unknown';
  return { coldMs: cold.ms, cachedMs: sorted[1]!, cachedTasks };
}
