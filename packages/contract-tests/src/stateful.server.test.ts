// What Prism cannot show, because it keeps no state: the reference server's real behaviour,
// still through `prism proxy --errors` so every answer is checked against the spec.
import { AuthHttpError, createAuthClient, type LoginInput } from '@lumminary/auth-sdk';
import { totpCodeSource } from '@lumminary/auth-sdk/totp';
import { verifyAccessToken } from '@lumminary/auth-server';
import { errors as joseErrors, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoProduct, startServerBehindProxy, type ServerBehindProxy } from './harness.js';

/** A clock the tests move by hand; the server reads it for TOTP steps, iat/exp and rate-limit windows. */
const clock = { time: Date.UTC(2026, 10, 28, 12, 0, 0), now: () => clock.time };

let target: ServerBehindProxy;
beforeAll(async () => {
  target = await startServerBehindProxy({ clock, twoFactorAccounts: 3 });
});
afterAll(() => target?.stop());

const auth = () => createAuthClient({ baseUrl: target.url, timeoutMs: 10_000 });

async function twoFactorInput(index: number): Promise<LoginInput> {
  const account = target.twoFactorAccounts[index]!;
  const twoFactorToken = await totpCodeSource(account.totpSecret)({ now: clock.now(), signal: undefined });
  return { username: account.username, password: account.password, role: 'role_product', twoFactorToken };
}

async function failure(promise: Promise<unknown>): Promise<AuthHttpError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(AuthHttpError);
  return outcome as AuthHttpError;
}

describe('2FA codes work once', () => {
  it('a replayed code is refused with 401 invalid_two_factor_token', async () => {
    clock.time += 60_000;
    const input = await twoFactorInput(0);
    await expect(auth().postJwtAuth(input)).resolves.toMatchObject({ accessToken: expect.any(String) });
    const replay = await failure(auth().postJwtAuth(input));
    expect(replay.status).toBe(401);
    expect(replay.code).toBe('invalid_two_factor_token');
  });

  it('20 concurrent logins with one fresh code: exactly one 200, the rest refused', async () => {
    clock.time += 60_000;
    const input = await twoFactorInput(1);
    const client = auth();
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => client.postJwtAuth(input)));
    const fulfilled = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const rejected = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(19);
    // The losers are failures: 401 for the reused code, then 429 once the account's failure limit (5) is reached.
    const codes = rejected.map((reason) => (reason instanceof AuthHttpError ? reason.code : String(reason)));
    expect(codes.filter((code) => code === 'invalid_two_factor_token').length).toBeGreaterThanOrEqual(5);
    expect(codes.every((code) => code === 'invalid_two_factor_token' || code === 'too_many_requests')).toBe(true);
  });
});

describe('tokens live 30 seconds', () => {
  it('verifies at +29 s with the published keys and is expired at +31 s', async () => {
    clock.time += 600_000; // past the rate-limit window of the failures above
    const issuedAt = clock.time;
    const { accessToken } = await auth().postJwtAuth(demoProduct);
    const jwks = (await (await fetch(`${target.serverUrl}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const claims = await verifyAccessToken(accessToken, { jwks, clock: { now: () => issuedAt + 29_000 } });
    expect(claims.sub).toBe(demoProduct.username);
    expect(claims.exp - claims.iat).toBe(30);
    await expect(
      verifyAccessToken(accessToken, { jwks, clock: { now: () => issuedAt + 31_000 } }),
    ).rejects.toBeInstanceOf(joseErrors.JWTExpired);
  });
});

describe('unknown users look like wrong passwords', () => {
  async function rawLogin(username: string, password: string) {
    const started = performance.now();
    const response = await fetch(`${target.url}/auth/jwt`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password, role: 'role_product' }),
    });
    const body = await response.text();
    return { status: response.status, body, ms: performance.now() - started };
  }

  it('same status, byte-identical body, and the password hash is checked for both', async () => {
    clock.time += 600_000;
    const unknown: Awaited<ReturnType<typeof rawLogin>>[] = [];
    const wrong: Awaited<ReturnType<typeof rawLogin>>[] = [];
    for (let i = 0; i < 4; i++) {
      // Distinct usernames keep every attempt under the per-account limit.
      unknown.push(await rawLogin(`nobody-${i}@example.org`, 'whatever password'));
      wrong.push(await rawLogin(demoProduct.username, `wrong key ${i}`));
    }
    for (const attempt of [...unknown, ...wrong]) {
      expect(attempt.status).toBe(401);
      expect(attempt.body).toBe(unknown[0]!.body);
    }
    expect(JSON.parse(unknown[0]!.body)).toMatchObject({ code: 'invalid_credentials' });
    // Without a dummy hash an unknown user would answer in ~1 ms against ~tens of ms for scrypt.
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
    expect(median(unknown.map((a) => a.ms))).toBeGreaterThan(median(wrong.map((a) => a.ms)) * 0.4);
  });
});

describe('brute force meets 429', () => {
  it('repeated failures for one account get 429 with Retry-After, surfaced by the SDK; the window passes', async () => {
    clock.time += 600_000;
    const account = target.twoFactorAccounts[2]!;
    const wrong = { username: account.username, password: 'not the password', role: 'role_product' };
    const statuses: number[] = [];
    let limited: AuthHttpError | undefined;
    for (let attempt = 0; attempt < 10 && !limited; attempt++) {
      const error = await failure(auth().postJwtAuth(wrong));
      statuses.push(error.status);
      if (error.status === 429) limited = error;
    }
    expect(statuses.slice(0, -1).every((status) => status === 401)).toBe(true);
    expect(limited?.code).toBe('too_many_requests');
    expect(limited?.retryAfterSeconds).toBeGreaterThan(0);
    expect(limited?.message).toContain(`retry after ${limited?.retryAfterSeconds} s`);
    // Even the right password waits out the lock.
    const locked = await failure(
      auth().postJwtAuth({ ...wrong, password: account.password, twoFactorToken: '000000' }),
    );
    expect(locked.status).toBe(429);
    clock.time += (limited!.retryAfterSeconds! + 1) * 1000;
    const { accessToken } = await auth().postJwtAuth({ ...(await twoFactorInput(2)) });
    expect(accessToken).toEqual(expect.any(String));
  });
});
