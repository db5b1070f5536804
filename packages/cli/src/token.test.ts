// `lumminary-auth token` end to end, in-process, against the reference server: successful logins.
import {
  startAuthServer,
  verifyAccessToken,
  type RunningAuthServer,
  type VerifyAccessTokenOptions,
} from '@lumminary/auth-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { codeAt, demoClient, demoProduct, payloadOf, runCli, stepMs, TestClock } from './test-support/cli.js';

type Jwks = NonNullable<VerifyAccessTokenOptions['jwks']>;

/** The server's public keys, as its JWKS route serves them. */
async function jwksOf(url: string): Promise<Jwks> {
  const response = await fetch(`${url}/.well-known/jwks.json`);
  expect(response.status).toBe(200);
  return (await response.json()) as Jwks;
}

const productArgs = (url: string) => ['token', '--base-url', url, '--username', demoProduct.username];

describe('token against the reference server (system clock)', () => {
  let server: RunningAuthServer;
  beforeAll(async () => {
    server = await startAuthServer({ quiet: true, port: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('prints only the access token, which verifies with the server JWKS', async () => {
    const { code, stdout } = await runCli(productArgs(server.url), { env: { LUMMINARY_PASSWORD: demoProduct.apiKey } });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/u);
    const claims = await verifyAccessToken(stdout.trimEnd(), { jwks: await jwksOf(server.url) });
    expect(claims).toMatchObject({ sub: demoProduct.username, role: 'role_product' });
    expect(claims.exp - claims.iat).toBe(30);
  });

  it('reads the API key from stdin with --password-stdin (trailing CRLF or LF stripped) and sends multipart with --multipart', async () => {
    const jwks = await jwksOf(server.url);
    for (const [stdin, extra] of [
      [`${demoProduct.apiKey}\n`, []],
      [`${demoProduct.apiKey}\r\n`, ['--multipart']],
      [demoProduct.apiKey, ['--multipart']],
    ] as const) {
      // LUMMINARY_PASSWORD is wrong: --password-stdin wins over it.
      const { code, stdout } = await runCli([...productArgs(server.url), '--password-stdin', ...extra], {
        stdin,
        env: { LUMMINARY_PASSWORD: 'not-the-key-from-env' },
      });
      expect(code).toBe(0);
      expect((await verifyAccessToken(stdout.trimEnd(), { jwks })).sub).toBe(demoProduct.username);
    }
  });

  it('takes the base URL and the username from LUMMINARY_BASE_URL and LUMMINARY_USERNAME, the options winning', async () => {
    const env = {
      LUMMINARY_BASE_URL: server.url,
      LUMMINARY_USERNAME: demoProduct.username,
      LUMMINARY_PASSWORD: demoProduct.apiKey,
    };
    const fromEnv = await runCli(['token'], { env });
    expect(fromEnv.code).toBe(0);
    expect(payloadOf(fromEnv.stdout.trimEnd()).sub).toBe(demoProduct.username);

    // A wrong username in the environment is overridden by --username: still a success.
    const overridden = await runCli(['token', '--username', demoProduct.username], {
      env: { ...env, LUMMINARY_USERNAME: 'nobody@example.org' },
    });
    expect(overridden.code).toBe(0);
    // A wrong base URL in the environment is overridden by --base-url.
    const url = await runCli(['token', '--base-url', server.url], {
      env: { ...env, LUMMINARY_BASE_URL: 'http://127.0.0.1:9/v1' },
    });
    expect(url.code).toBe(0);
  });

  it('asks for role_product unless --role says otherwise', async () => {
    const defaultRole = await runCli(productArgs(server.url), { env: { LUMMINARY_PASSWORD: demoProduct.apiKey } });
    expect(payloadOf(defaultRole.stdout.trimEnd()).role).toBe('role_product');
    // The demo product has only role_product: another role is refused as bad credentials.
    const otherRole = await runCli([...productArgs(server.url), '--role', 'role_admin'], {
      env: { LUMMINARY_PASSWORD: demoProduct.apiKey },
    });
    expect(otherRole.code).toBe(3);
  });

  it('--json prints the token, its decoded claims and its expiry', async () => {
    const before = Date.now();
    const { code, stdout } = await runCli([...productArgs(server.url), '--json'], {
      env: { LUMMINARY_PASSWORD: demoProduct.apiKey },
    });
    expect(code).toBe(0);
    const output = JSON.parse(stdout) as Record<string, unknown>;
    expect(Object.keys(output)).toEqual(['access_token', 'claims', 'expires_at', 'expires_in_seconds']);
    const token = output.access_token as string;
    const verified = await verifyAccessToken(token, { jwks: await jwksOf(server.url) });
    expect(output.claims).toEqual(verified);
    expect(output.expires_at).toBe(new Date(verified.exp * 1000).toISOString());
    const expiresIn = output.expires_in_seconds as number;
    expect(Number.isInteger(expiresIn)).toBe(true);
    expect(expiresIn).toBeLessThanOrEqual(30);
    expect(expiresIn).toBeGreaterThanOrEqual(Math.floor((verified.exp * 1000 - Date.now()) / 1000));
    expect(expiresIn).toBeLessThanOrEqual(Math.ceil((verified.exp * 1000 - before) / 1000));
  });
});

describe('token with 2FA (server and CLI on the same test clock)', () => {
  let server: RunningAuthServer;
  let clock: TestClock;
  let jwks: Jwks;
  const clientArgs = (url: string) => ['token', '--base-url', url, '--username', demoClient.username];

  beforeAll(async () => {
    clock = new TestClock();
    server = await startAuthServer({ quiet: true, port: 0, clock });
    jwks = await jwksOf(server.url);
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => {
    // The server accepts one 2FA login per 30 s step and account: each test starts in a fresh step.
    clock.advance(stepMs);
  });

  it('generates the code from LUMMINARY_TOTP_SECRET; the token verifies and --json counts down from the test clock', async () => {
    const env = { LUMMINARY_PASSWORD: demoClient.password, LUMMINARY_TOTP_SECRET: demoClient.totpSecret };
    const plain = await runCli(clientArgs(server.url), { env, now: clock.now });
    expect(plain.code).toBe(0);
    const claims = await verifyAccessToken(plain.stdout.trimEnd(), { jwks, clock });
    expect(claims.sub).toBe(demoClient.username);
    expect(claims.iat).toBe(Math.floor(clock.ms / 1000));

    clock.advance(stepMs);
    const received = clock.ms;
    const json = await runCli([...clientArgs(server.url), '--json'], { env, now: () => received + 4_000 });
    expect(json.code).toBe(0);
    const output = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(output.claims).toMatchObject({
      sub: demoClient.username,
      role: 'role_product',
      iat: Math.floor(received / 1000),
    });
    expect(output.expires_at).toBe(new Date(Math.floor(received / 1000) * 1000 + 30_000).toISOString());
    // t0 is on a whole second: exp is 30 s after it, and the CLI's clock reads 4 s later.
    expect(received % 1000).toBe(0);
    expect(output.expires_in_seconds).toBe(26);
  });

  it('sends --totp-code as given, in preference to LUMMINARY_TOTP_SECRET', async () => {
    const code = codeAt(clock.ms);
    // A valid base32 secret of another account: its code would be refused.
    const env = { LUMMINARY_PASSWORD: demoClient.password, LUMMINARY_TOTP_SECRET: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' };
    const result = await runCli([...clientArgs(server.url), '--totp-code', code, '--multipart'], {
      env,
      now: clock.now,
    });
    expect(result.code).toBe(0);
    expect((await verifyAccessToken(result.stdout.trimEnd(), { jwks, clock })).sub).toBe(demoClient.username);
  });

  it('a second login in the same step is refused (exit 4, the message says to wait for the next step); the next step works', async () => {
    const env = { LUMMINARY_PASSWORD: demoClient.password, LUMMINARY_TOTP_SECRET: demoClient.totpSecret };
    expect((await runCli(clientArgs(server.url), { env, now: clock.now })).code).toBe(0);
    const replay = await runCli(clientArgs(server.url), { env, now: clock.now });
    expect(replay.code).toBe(4);
    expect(replay.stderr).toMatch(/already used/u);
    expect(replay.stderr).toMatch(/next 30-second step/u);
    expect(replay.stdout).toBe('');
    clock.advance(stepMs);
    expect((await runCli(clientArgs(server.url), { env, now: clock.now })).code).toBe(0);
  });
});
