// The one way this repository starts and stops Prism (mock or validation proxy): on a
// free loopback port, with `--errors`, waiting until it answers, and dying with its parent.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { binPath, repoRoot } from './run.mjs';

/** The bundled spec that `npm run build` writes (the input Prism serves). */
export const bundledSpecPath = join(repoRoot, 'packages/openapi/dist/openapi.yaml');

const watchdogPath = join(repoRoot, 'scripts/lib/exit-with-parent.cjs');

/** Resolves to a TCP port that was free on `host` a moment ago. */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts Prism and resolves once it answers HTTP.
 * @param {object} options
 * @param {'mock' | 'proxy'} [options.mode] `mock` serves the spec's examples; `proxy` validates traffic to `upstream`.
 * @param {string} [options.upstream] The server `proxy` forwards to.
 * @param {string} [options.spec] The spec file; default: the bundled spec.
 * @param {number} [options.port] Default: a free port.
 * @param {number} [options.readyTimeoutMs] How long to wait for Prism to answer. Default 30 000 (it starts in 1–3 s alone, much slower while other suites load both cores).
 * @param {string} [options.logLevel] Prism's log level. Default `warn` (info slows it under load).
 * @returns {Promise<{ url: string, port: number, stop: () => Promise<void>, output: () => string }>}
 */
export async function startPrism({
  mode = 'mock',
  upstream,
  spec = bundledSpecPath,
  port,
  readyTimeoutMs = 30_000,
  logLevel = 'warn',
} = {}) {
  const host = '127.0.0.1';
  const listenPort = port ?? (await freePort(host));
  const args = [mode, spec];
  if (mode === 'proxy') {
    if (!upstream) throw new Error('startPrism: proxy mode needs an upstream URL');
    args.push(upstream);
  }
  args.push('--host', host, '--port', String(listenPort), '--errors', '--verboseLevel', logLevel);

  const child = spawn(
    process.execPath,
    ['--require', watchdogPath, binPath('@stoplight/prism-cli', 'prism'), ...args],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
  );
  let output = '';
  const collect = (chunk) => {
    output = (output + chunk).slice(-20_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const url = `http://${host}:${listenPort}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killTimer);
  };

  const deadline = Date.now() + readyTimeoutMs;
  let early;
  exited.then((status) => {
    early = status;
  });
  while (true) {
    if (early) throw new Error(`Prism exited before it was ready (${JSON.stringify(early)}):\n${output}`);
    try {
      // Any HTTP answer (even 404/405) means Prism is listening and has loaded the spec.
      await fetch(`${url}/`, { signal: AbortSignal.timeout(500) });
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`Prism did not answer within ${readyTimeoutMs} ms:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { url, port: listenPort, stop, output: () => output };
}
