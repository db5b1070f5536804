// The built bin (dist/cli.js) as a real process: argv, piped stdin, stdout, stderr and the exit code.
// turbo builds before it tests; by hand: `npx tsc -p tsconfig.build.json` in packages/cli first.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  startAuthServer,
  verifyAccessToken,
  type RunningAuthServer,
  type VerifyAccessTokenOptions,
} from '@lumminary/auth-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoProduct, expectNoSecrets, knownSecrets } from './test-support/cli.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node dist/cli.js …` with only the given LUMMINARY_* variables; kills it after 15 s. */
function runBin(
  args: readonly string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<ProcessResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LUMMINARY_')));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: packageDir,
      env: { ...env, ...options.env },
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
    if (options.stdin === undefined) child.stdin.end();
    else child.stdin.end(options.stdin);
  });
}

let server: RunningAuthServer;
let jwks: NonNullable<VerifyAccessTokenOptions['jwks']>;

beforeAll(async () => {
  if (!existsSync(bin)) {
    throw new Error(
      `${bin} is missing: build first (npx tsc -p tsconfig.build.json in packages/cli, or npm run build)`,
    );
  }
  server = await startAuthServer({ quiet: true, port: 0 });
  jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as typeof jwks;
});
afterAll(async () => {
  await server?.close();
});

describe('the lumminary-auth bin', () => {
  it('is dist/cli.js with a node shebang, as package.json declares', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(manifest.bin).toEqual({ 'lumminary-auth': './dist/cli.js' });
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('logs in with the API key piped to --password-stdin and prints the token alone, then exits 0 promptly', async () => {
    const result = await runBin(
      ['token', '--base-url', server.url, '--username', demoProduct.username, '--password-stdin'],
      {
        stdin: `${demoProduct.apiKey}\n`,
      },
    );
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/u);
    const token = result.stdout.trimEnd();
    knownSecrets.add(token);
    expect((await verifyAccessToken(token, { jwks })).sub).toBe(demoProduct.username);
    // Nothing (an idle keep-alive socket, standard input) keeps the process alive after the login.
    expect(result.ms).toBeLessThan(5_000);
  });

  it('--json with the password from LUMMINARY_PASSWORD and the server from LUMMINARY_BASE_URL', async () => {
    const result = await runBin(['token', '--json'], {
      env: {
        LUMMINARY_BASE_URL: server.url,
        LUMMINARY_USERNAME: demoProduct.username,
        LUMMINARY_PASSWORD: demoProduct.apiKey,
      },
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const output = JSON.parse(result.stdout) as {
      access_token: string;
      claims: { sub: string };
      expires_in_seconds: number;
    };
    knownSecrets.add(output.access_token);
    expect(output.claims.sub).toBe(demoProduct.username);
    expect((await verifyAccessToken(output.access_token, { jwks })).sub).toBe(demoProduct.username);
  });

  it('exits 3 for a wrong API key with one line on stderr and nothing on stdout', async () => {
    const wrongKey = 'lk_live_thisIsNotTheKeyAtAll0000000000';
    knownSecrets.add(wrongKey);
    const result = await runBin(
      ['token', '--base-url', server.url, '--username', demoProduct.username, '--password-stdin'],
      {
        stdin: `${wrongKey}\n`,
      },
    );
    expect(result).toMatchObject({ code: 3, stdout: '' });
    expect(result.stderr).toMatch(/^lumminary-auth: login refused: [^\n]+\n$/u);
    expectNoSecrets(result.stderr);
  });

  it('exits 2 for --password without echoing it, and prints help with exit 0', async () => {
    const typed = 'typed-on-the-command-line-0001';
    const refused = await runBin([
      'token',
      '--base-url',
      server.url,
      '--username',
      demoProduct.username,
      '--password',
      typed,
    ]);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toMatch(/never accepted as an option/u);
    expect(refused.stderr).not.toContain(typed);

    const help = await runBin(['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: lumminary-auth token \[options\]/u);
  });
});
