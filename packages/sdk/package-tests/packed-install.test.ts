// The SDK as a user gets it: `npm pack` of the built package, installed offline into a fresh
// project outside the monorepo, then used from ESM and CommonJS (a real login through an
// injected fetch), type-checked under NodeNext as .mts and .cts, and linted by publint and
// attw. Every check runs on the same tarball.
//
// Needs a built package (`npm run build`) and openapi-fetch and otpauth in the npm cache
// (they are once the monorepo is installed); `--offline` keeps npm off the network.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(packageDir, '../..');
const bin = (name: string) => join(repoRoot, 'node_modules/.bin', name);
const tscPath = join(repoRoot, 'node_modules/typescript/bin/tsc');
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  main: string;
  module: string;
  types: string;
  exports: Record<string, unknown>;
  dependencies: Record<string, string>;
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment for child processes: without the npm_* variables of an enclosing
 * `npm run` (npm_config_local_prefix would point npm at the monorepo), but with the npm
 * cache and config files, which the offline install needs.
 */
function childEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_cafile']);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/iu.test(key) && !keep.has(key.toLowerCase())) continue;
    if (key === 'INIT_CWD' || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return {
    ...env,
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    NO_COLOR: '1',
  };
}

function run(command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolvePromise) => {
    execFile(
      command,
      args,
      { cwd, env: childEnv(), maxBuffer: 16 * 1024 * 1024, timeout: 50_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

function describeRun(what: string, result: Run): string {
  return `${what} exited with ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

async function ok(what: string, command: string, args: string[], cwd: string): Promise<Run> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) throw new Error(describeRun(what, result));
  return result;
}

/** Every file the manifest points at: main, module, types and each exports target. */
function manifestTargets(): string[] {
  const targets = new Set([manifest.main, manifest.module, manifest.types]);
  const walk = (node: unknown) => {
    if (typeof node === 'string') targets.add(node);
    else if (node && typeof node === 'object') for (const value of Object.values(node)) walk(value);
  };
  walk(manifest.exports);
  return [...targets].map((target) => target.replace(/^\.\//u, ''));
}

let root: string;
let tarball: string;
let packedFiles: string[];
let consumer: string;
let installed: string;

beforeAll(async () => {
  for (const built of ['dist/index.js', 'dist/cjs/index.js']) {
    if (!existsSync(join(packageDir, built))) {
      throw new Error(`packages/sdk/${built} is missing: run \`npm run build\` in packages/sdk first.`);
    }
  }
  // realpath: the paths the scripts print (import.meta.resolve, require.resolve) are real paths.
  root = realpathSync(mkdtempSync(join(tmpdir(), 'lumminary-sdk-pack-')));
  const packDir = join(root, 'pack');
  mkdirSync(packDir);
  const packed = await ok('npm pack', 'npm', ['pack', '--json', '--pack-destination', packDir], packageDir);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  if (!info) throw new Error(`npm pack printed no package: ${packed.stdout}`);
  tarball = join(packDir, info.filename);
  packedFiles = info.files.map((file) => file.path).sort();

  consumer = join(root, 'consumer');
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, 'package.json'),
    `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2)}\n`,
  );
  await ok(
    'npm install --offline (the dependencies must be in the npm cache: install the monorepo first)',
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball],
    consumer,
  );
  installed = join(consumer, 'node_modules', manifest.name);
}, 60_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe(`the packed ${manifest.name}`, () => {
  it('holds both builds, their types and package.json, and every file the manifest points at', () => {
    for (const file of [
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cjs/index.js',
      'dist/cjs/index.d.ts',
      'dist/cjs/package.json',
    ]) {
      expect(packedFiles, `${file} is not in the tarball`).toContain(file);
    }
    for (const target of manifestTargets()) {
      expect(packedFiles, `package.json points at ${target}, which is not in the tarball`).toContain(target);
    }
    const esmTypes = packedFiles.filter((file) => /^dist\/[^/]+\.d\.ts$/u.test(file));
    const cjsTypes = packedFiles.filter((file) => /^dist\/cjs\/[^/]+\.d\.ts$/u.test(file));
    expect(esmTypes.length).toBeGreaterThanOrEqual(3);
    expect(cjsTypes.map((file) => file.replace('dist/cjs/', 'dist/'))).toEqual(esmTypes);
  });

  it('holds no tests, test support, sources or build configuration', () => {
    const unwanted = packedFiles.filter(
      (file) =>
        /\.test(-d)?\.[cm]?[jt]s/u.test(file) ||
        /(^|\/)test-support(\/|$)/u.test(file) ||
        /^(src|package-tests)\//u.test(file) ||
        /(^|\/)(tsconfig[^/]*\.json|vitest[^/]*\.[cm]?[jt]s)$/u.test(file) ||
        file.endsWith('.tsbuildinfo'),
    );
    expect(unwanted).toEqual([]);
    expect(packedFiles).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json']));
    expect(
      packedFiles.every(
        (file) => file === 'package.json' || file === 'README.md' || file === 'LICENSE' || file.startsWith('dist/'),
      ),
    ).toBe(true);
  });

  it('installs offline, with its dependencies, into a project outside the monorepo', () => {
    expect(consumer.startsWith(repoRoot)).toBe(false);
    const installedManifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { version: string };
    expect(installedManifest.version).toBe(manifest.version);
    for (const dependency of Object.keys(manifest.dependencies)) {
      expect(
        existsSync(join(consumer, 'node_modules', dependency, 'package.json')),
        `${dependency} is not installed`,
      ).toBe(true);
    }
    expect(existsSync(join(installed, 'src'))).toBe(false);
  });

  // The same program for both module systems: log in through an injected fetch (a 200, a 401
  // and an input refused before sending), compute a TOTP code, read the spec's facts.
  const program = `
const requests = [];
const fetch = async (request) => {
  const body = await request.text();
  requests.push({ method: request.method, url: request.url, contentType: request.headers.get('content-type'), xFields: request.headers.get('x-fields'), body });
  const form = new URLSearchParams(body);
  if (form.get('password') === 'right password') {
    return new Response(JSON.stringify({ access_token: 'aaa.bbb.ccc' }), { status: 200, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } });
  }
  return new Response(JSON.stringify({ code: 'invalid_credentials', message: 'The username, password or role is not valid.' }), { status: 401, headers: { 'Content-Type': 'application/json' } });
};
async function main() {
  const auth = sdk.createAuthClient({ baseUrl: 'https://api.example.test/v1', fetch });
  const login = await auth.postJwtAuth({ username: 'ada.lovelace@example.org', password: 'right password', role: 'role_product', twoFactorToken: '042917', fields: '{access_token}' });
  const refused = await auth.postJwtAuth({ username: 'ada.lovelace@example.org', password: 'wrong password', role: 'role_product' }).then(
    () => 'resolved',
    (error) => ({ httpError: error instanceof sdk.AuthHttpError, authError: error instanceof sdk.AuthError, status: error.status, code: error.code, leaks: String(error.message).includes('wrong password') }),
  );
  const invalid = await auth.postJwtAuth({ username: '', password: 'x', role: 'role_product' }).then(
    () => 'resolved',
    (error) => ({ inputError: error instanceof sdk.AuthInputError, field: error.field }),
  );
  const totp = totpModule.totpCodeSource('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')({ now: 59_000, signal: undefined });
  console.log(JSON.stringify({
    resolved,
    accessToken: login.accessToken,
    requests,
    refused,
    invalid,
    totp,
    formFields: spec.jwtAuthFormFields.map((field) => field.name),
    defaultServerUrl: sdk.defaultServerUrl,
  }));
}
`;

  const expectedOutput = (resolvedSuffix: string) => ({
    resolved: [`index.js`, 'totp.js', 'spec.js'].map((file) => join(installed, resolvedSuffix, file)),
    accessToken: 'aaa.bbb.ccc',
    requests: [
      {
        method: 'POST',
        url: 'https://api.example.test/v1/auth/jwt',
        contentType: 'application/x-www-form-urlencoded',
        xFields: '{access_token}',
        body: 'username=ada.lovelace%40example.org&password=right+password&role=role_product&2FA-token=042917',
      },
      {
        method: 'POST',
        url: 'https://api.example.test/v1/auth/jwt',
        contentType: 'application/x-www-form-urlencoded',
        xFields: null,
        body: 'username=ada.lovelace%40example.org&password=wrong+password&role=role_product',
      },
    ],
    refused: { httpError: true, authError: true, status: 401, code: 'invalid_credentials', leaks: false },
    invalid: { inputError: true, field: 'username' },
    // RFC 6238, appendix B: SHA1, T = 59 s, 8 digits 94287082; the SDK's default is 6.
    totp: '287082',
    formFields: ['username', 'password', 'role', '2FA-token'],
    defaultServerUrl: 'https://api.lumminary.com/v1',
  });

  it('works from ESM: import, a login through an injected fetch, /totp and /spec', async () => {
    const script = join(consumer, 'use-esm.mjs');
    writeFileSync(
      script,
      `import * as sdk from '${manifest.name}';
import * as totpModule from '${manifest.name}/totp';
import * as spec from '${manifest.name}/spec';
import { fileURLToPath } from 'node:url';
const resolved = ['', '/totp', '/spec'].map((subpath) => fileURLToPath(import.meta.resolve('${manifest.name}' + subpath)));
${program}
await main();
`,
    );
    const result = await ok('the ESM script', process.execPath, [script], consumer);
    expect(JSON.parse(result.stdout)).toEqual(expectedOutput('dist'));
  });

  it('works from CommonJS: require, a login through an injected fetch, /totp and /spec', async () => {
    const script = join(consumer, 'use-cjs.cjs');
    writeFileSync(
      script,
      `'use strict';
const sdk = require('${manifest.name}');
const totpModule = require('${manifest.name}/totp');
const spec = require('${manifest.name}/spec');
const resolved = ['', '/totp', '/spec'].map((subpath) => require.resolve('${manifest.name}' + subpath));
if (typeof sdk.createAuthClient !== 'function') throw new Error('require() did not give the CommonJS build');
${program}
main().catch((error) => { console.error(error); process.exitCode = 1; });
`,
    );
    const result = await ok('the CommonJS script', process.execPath, [script], consumer);
    expect(JSON.parse(result.stdout)).toEqual(expectedOutput('dist/cjs'));
  });

  // One usage file, type-checked as ESM (.mts) and as CommonJS (.cts). The @ts-expect-error
  // lines fail the check ("unused directive") if the SDK's types are missing or `any`.
  const usage = `import { AuthHttpError, createAuthClient, type AuthClient, type LoginResult } from '${manifest.name}';
import { totpCodeSource } from '${manifest.name}/totp';
import { jwtAuthFormFields, type paths } from '${manifest.name}/spec';

const auth: AuthClient = createAuthClient({
  baseUrl: 'https://api.example.test/v1',
  fetch: async (request: Request) => new Response(JSON.stringify({ access_token: 'a.b.c' }), { status: request.method === 'POST' ? 200 : 405 }),
});

export async function login(): Promise<string> {
  const result: LoginResult = await auth.postJwtAuth({ username: 'ada.lovelace@example.org', password: 'secret', role: 'role_product' });
  // @ts-expect-error the password is required
  await auth.postJwtAuth({ username: 'ada.lovelace@example.org', role: 'role_product' });
  // @ts-expect-error twoFactorToken is a string of digits, not a number
  await auth.postJwtAuth({ username: 'ada', password: 'secret', role: 'role_product', twoFactorToken: 42917 });
  // @ts-expect-error accessToken is a string
  const wrong: number = result.accessToken;
  void wrong;
  return result.accessToken;
}

export function status(error: unknown): number | undefined {
  return error instanceof AuthHttpError ? error.status : undefined;
}

export const code: string | Promise<string> = totpCodeSource('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')({ now: 0, signal: undefined });
// @ts-expect-error the secret is a base32 string
totpCodeSource(42);

export const firstField: string = jwtAuthFormFields[0].name;
export const path: keyof paths = '/auth/jwt';
// @ts-expect-error the spec has no such path
export const noPath: keyof paths = '/auth/nope';
`;

  it('type-checks under NodeNext as ESM (.mts) and as CommonJS (.cts), each with its own types', async () => {
    writeFileSync(join(consumer, 'usage.mts'), usage);
    writeFileSync(join(consumer, 'usage.cts'), usage);
    // skipLibCheck off: the SDK's own .d.ts files are checked too (only TypeScript's default
    // libs are skipped, for speed). No @types/node: the consumer project has none, so the
    // SDK's types must not need it.
    const args = [
      tscPath,
      '--noEmit',
      '--strict',
      '--exactOptionalPropertyTypes',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--lib',
      'es2022,dom',
      '--skipLibCheck',
      'false',
      '--skipDefaultLibCheck',
      '--explainFiles',
      'usage.mts',
      'usage.cts',
    ];
    const result = await run(process.execPath, args, consumer);
    const errors = result.stdout.split('\n').filter((line) => /error TS\d+/u.test(line));
    expect(errors, describeRun('tsc', result)).toEqual([]);
    expect(result.code, describeRun('tsc', result)).toBe(0);

    // --explainFiles: each file, then indented lines saying why it is in the program.
    const resolvedFrom = new Map<string, string>();
    let current = '';
    for (const line of result.stdout.split('\n')) {
      if (!line.startsWith(' ')) current = line.trim();
      const imported = /^\s+Imported via '([^']+)' from file '(usage\.[cm]ts)'/u.exec(line);
      if (imported) resolvedFrom.set(`${imported[2]} ${imported[1]}`, current);
    }
    const where = `node_modules/${manifest.name}`;
    expect(Object.fromEntries(resolvedFrom)).toEqual({
      [`usage.mts ${manifest.name}`]: `${where}/dist/index.d.ts`,
      [`usage.mts ${manifest.name}/totp`]: `${where}/dist/totp.d.ts`,
      [`usage.mts ${manifest.name}/spec`]: `${where}/dist/spec.d.ts`,
      [`usage.cts ${manifest.name}`]: `${where}/dist/cjs/index.d.ts`,
      [`usage.cts ${manifest.name}/totp`]: `${where}/dist/cjs/totp.d.ts`,
      [`usage.cts ${manifest.name}/spec`]: `${where}/dist/cjs/spec.d.ts`,
    });
  });

  it('passes publint (strict: warnings fail too)', async () => {
    const result = await run(bin('publint'), ['run', tarball, '--strict'], root);
    expect(result.code, describeRun('publint', result)).toBe(0);
  });

  it('passes attw with the node16 profile', async () => {
    // The tarball itself: what `attw --pack` would pack, and the same bytes as above.
    const result = await run(bin('attw'), ['--profile', 'node16', '--no-color', '--no-emoji', tarball], root);
    expect(result.code, describeRun('attw', result)).toBe(0);
    expect(result.stdout).toContain('node16 (from CJS)');
  });
});
