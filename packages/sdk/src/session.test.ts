import { inspect } from 'node:util';
import createClient, { type Client } from 'openapi-fetch';
import { describe, expect, it } from 'vitest';
import { createAuthApi } from './api.js';
import { createAuthClient } from './client.js';
import { AuthError, AuthHttpError, AuthTransportError } from './errors.js';
import {
  type AuthorizationMiddlewareOptions,
  createTokenSession,
  type SessionCredentials,
  systemClock,
  type TokenSession,
  type TokenSessionOptions,
  type TwoFactorCodeSource,
} from './session.js';
import {
  createFakeAuthApi,
  createVirtualClock,
  type FakeAccount,
  type FakeAuthApi,
  type FakeAuthApiOptions,
  stepAlignedStart,
  totpCodeAt,
  totpStep,
  type VirtualClock,
} from './test-support/fake-auth-api.js';
import { totpCodeSource } from './totp.js';

// ---------------------------------------------------------------------------------------------
// Fixture: a user's protected API (GET /things, POST /things), hand-written openapi-typescript paths.
// ---------------------------------------------------------------------------------------------

type NoParameters = { query?: never; header?: never; path?: never; cookie?: never };
type Unauthorized = { headers: { [name: string]: unknown }; content?: never };

interface FixturePaths {
  '/things': {
    parameters: NoParameters;
    get: {
      parameters: NoParameters;
      requestBody?: never;
      responses: {
        200: {
          headers: { [name: string]: unknown };
          content: { 'application/json': { items: string[]; subject: string } };
        };
        401: Unauthorized;
      };
    };
    post: {
      parameters: NoParameters;
      requestBody: { content: { 'application/json': { name: string } } };
      responses: {
        201: {
          headers: { [name: string]: unknown };
          content: { 'application/json': { name: string; owner: string } };
        };
        401: Unauthorized;
      };
    };
    put?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}

const product = {
  username: '3f8e2c1a-9b7d-4e5f-8a6b-2c4d6e8f0a1b',
  password: 'lk_live_9Qm2Xv7TzR4pN8sB3wY6cD1fH5jK0aLe',
  role: 'role_product',
} as const satisfies SessionCredentials;

/** Base32 TOTP secret of the 2FA account (as in its otpauth:// URI). */
const totpSecret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const twoFactorUser = {
  username: 'ada@example.org',
  password: 'correct horse battery staple',
  role: 'role_product',
} as const satisfies SessionCredentials;

const accounts: FakeAccount[] = [product, { ...twoFactorUser, totpSecret }];

interface Setup {
  clock: VirtualClock;
  api: FakeAuthApi;
  session: TokenSession;
  things: Client<FixturePaths>;
}

function setup({
  start = stepAlignedStart,
  fake = {},
  session: sessionOptions = {},
  middleware,
}: {
  start?: number;
  fake?: Partial<FakeAuthApiOptions>;
  session?: Partial<TokenSessionOptions>;
  middleware?: AuthorizationMiddlewareOptions;
} = {}): Setup {
  const clock = createVirtualClock(start);
  const api = createFakeAuthApi({ clock, accounts, ...fake });
  const auth = createAuthClient({ baseUrl: api.baseUrl, fetch: api.fetch });
  const session = createTokenSession({ client: auth, credentials: product, clock, ...sessionOptions });
  const things = createClient<FixturePaths>({ baseUrl: api.baseUrl, fetch: api.fetch });
  things.use(session.middleware(middleware));
  return { clock, api, session, things };
}

/**
 * A code source that yields a macrotask per code and fails after 1,000 codes, so that a session looping
 * without waiting fails the test (with an unexpected error) instead of hanging it in microtasks.
 */
function guarded(source: TwoFactorCodeSource): TwoFactorCodeSource {
  let calls = 0;
  return async (request) => {
    if (++calls > 1000) throw new Error('the code source was asked 1,000 times: the session loops');
    await new Promise<void>((resolve) => setImmediate(resolve));
    return source(request);
  };
}

/** Options of a session for the 2FA account: the fake's TOTP secret unless another (guarded) source is given. */
function twoFactorSession(session: Partial<TokenSessionOptions> = {}): Partial<TokenSessionOptions> {
  const { twoFactorCode = totpCodeSource(totpSecret), ...rest } = session;
  return { credentials: twoFactorUser, ...rest, twoFactorCode: guarded(twoFactorCode) };
}

/**
 * Steady protected calls, one every `intervalMs` of virtual time, for `durationMs` of virtual time
 * (time spent in the session's own sleeps counts). Returns the statuses seen.
 */
async function steadyCalls({ clock, things }: Setup, durationMs: number, intervalMs = 20): Promise<number[]> {
  const end = clock.now() + durationMs;
  const statuses: number[] = [];
  while (clock.now() < end) {
    const { response } = await things.GET('/things');
    statuses.push(response.status);
    clock.advance(intervalMs);
  }
  return statuses;
}

/** Awaits a promise that must reject with an instance of `type`, and returns the error. */
async function rejection<T>(promise: Promise<unknown>, type: abstract new (...args: never[]) => T): Promise<T> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as T;
  }
  throw new Error(`expected a rejection with ${type.name}, got a fulfilment with ${inspect(value)}`);
}

/** Lets every pending promise job (and the fake's async handlers) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function expectNoExpiredTokenSent(api: FakeAuthApi): void {
  expect(api.expiredTokenUses()).toEqual([]);
  for (const record of api.protectedRequests) {
    const issued = api.issued.find(({ token }) => token === record.token);
    if (issued !== undefined) expect(record.at).toBeLessThan(issued.exp * 1000);
  }
}

const tenMinutes = 600_000;

// ---------------------------------------------------------------------------------------------

describe('single-flight login', () => {
  it('1,000 concurrent protected calls on a cold session cause exactly 1 login, and all succeed', async () => {
    const ctx = setup();
    const results = await Promise.all(Array.from({ length: 1000 }, () => ctx.things.GET('/things')));
    expect(ctx.api.loginCount).toBe(1);
    expect(ctx.session.loginCount).toBe(1);
    expect(results.map(({ response }) => response.status)).toEqual(Array(1000).fill(200));
    expect(results.every(({ data }) => data?.subject === product.username)).toBe(true);
    const [issued] = ctx.api.issued;
    expect(ctx.api.protectedRequests).toHaveLength(1000);
    expect(ctx.api.protectedRequests.every(({ token }) => token === issued?.token)).toBe(true);
  });

  it('1,000 concurrent getToken calls share one login and one token', async () => {
    const { api, session } = setup();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => session.getToken()));
    expect(api.loginCount).toBe(1);
    expect(new Set(tokens)).toEqual(new Set([api.issued[0]?.token]));
  });
});

describe('steady traffic for 10 simulated minutes at 50 calls/s', () => {
  it.each([
    { renewBeforeMs: undefined, marginMs: 5_000, expected: 24 },
    { renewBeforeMs: 2_000, marginMs: 2_000, expected: 22 },
    { renewBeforeMs: 12_500, marginMs: 12_500, expected: 35 },
  ])(
    'renewBeforeMs=$renewBeforeMs → exactly ceil(600 s / (30 s − $marginMs ms)) = $expected logins, no 401, no expired token',
    async ({ renewBeforeMs, marginMs, expected }) => {
      expect(Math.ceil(tenMinutes / (30_000 - marginMs))).toBe(expected);
      const ctx = setup({ session: { renewBeforeMs } });
      const statuses = await steadyCalls(ctx, tenMinutes);
      expect(statuses).toHaveLength(30_000);
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      expect(ctx.api.unauthorizedCount).toBe(0);
      expect(ctx.api.loginCount).toBe(expected);
      expect(ctx.session.loginCount).toBe(expected);
      // Never more often than the usable lifetime allows.
      const times = ctx.api.logins.map(({ at }) => at);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(30_000 - marginMs);
      expectNoExpiredTokenSent(ctx.api);
    },
    60_000,
  );

  it('with a start that is not on a whole second (iat is truncated to seconds), still no 401 and 24 logins', async () => {
    const ctx = setup({ start: stepAlignedStart + 12_999 });
    const statuses = await steadyCalls(ctx, tenMinutes);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(ctx.api.loginCount).toBe(24);
    expectNoExpiredTokenSent(ctx.api);
  }, 60_000);
});

describe('2FA: fresh TOTP codes for repeated logins', () => {
  /** Every accepted login matched a distinct step, the steps are consecutive, and no code was sent twice. */
  function expectOneCodePerStep(api: FakeAuthApi): number[] {
    expect(api.duplicateCodes()).toEqual([]);
    expect(api.codeSubmissions.every(({ accepted }) => accepted)).toBe(true);
    expect(api.codeSubmissions).toHaveLength(api.loginCount);
    const steps = api.codeSubmissions.map(({ matchedStep }) => matchedStep);
    const first = steps[0]!;
    expect(steps).toEqual(steps.map((_, i) => first + i));
    return steps as number[];
  }

  it.each([
    { label: 'default lifetime, step-aligned start', start: stepAlignedStart, lifetime: undefined },
    { label: 'default lifetime, start mid-step', start: stepAlignedStart + 12_345, lifetime: undefined },
    { label: 'tokenLifetimeMs 10 s (several renewals per step)', start: stepAlignedStart, lifetime: 10_000 },
    { label: 'tokenLifetimeMs 10 s, start mid-step', start: stepAlignedStart + 21_700, lifetime: 10_000 },
  ])(
    '$label: 10 minutes without a 401, no code submitted twice, waiting for the next step when needed',
    async ({ start, lifetime }) => {
      const ctx = setup({ start, session: twoFactorSession({ tokenLifetimeMs: lifetime }) });
      const statuses = await steadyCalls(ctx, tenMinutes);
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      expect(ctx.api.unauthorizedCount).toBe(0);
      expect(ctx.api.logins.every(({ status }) => status === 200)).toBe(true);
      expectNoExpiredTokenSent(ctx.api);
      const steps = expectOneCodePerStep(ctx.api);
      // A login in every step touched: 10 minutes are 20 steps (21 when the last wait crosses the end).
      expect(steps.length).toBeGreaterThanOrEqual(20);
      expect(steps.length).toBeLessThanOrEqual(22);
      // At most one renewal can still be waiting for its step when the 10 minutes end.
      expect(ctx.session.loginCount - ctx.api.loginCount).toBeGreaterThanOrEqual(0);
      expect(ctx.session.loginCount - ctx.api.loginCount).toBeLessThanOrEqual(1);
      // The session waited (through the clock) for the next step instead of resubmitting a code.
      expect(ctx.clock.sleeps.length).toBeGreaterThan(0);
      expect(ctx.clock.sleeps.every((ms) => ms > 0 && ms <= 30_001)).toBe(true);
    },
    60_000,
  );

  it('a short tokenLifetimeMs makes the session sleep until the next step for every renewal', async () => {
    const ctx = setup({ session: twoFactorSession({ tokenLifetimeMs: 10_000 }) });
    await steadyCalls(ctx, tenMinutes);
    // Renewal is due 5 s into each step; the code of that step is used, so every renewal sleeps to the next step.
    expect(ctx.clock.sleeps.length).toBeGreaterThanOrEqual(ctx.api.loginCount - 1);
    expect(ctx.clock.sleeps.length).toBeLessThanOrEqual(ctx.api.loginCount);
    expect(ctx.clock.sleeps.every((ms) => ms > 0 && ms <= 30_001)).toBe(true);
    // Every login lands in a later step than the one before, and no code is ever sent twice.
    const steps = ctx.api.logins.map((login) => totpStep(login.at));
    for (let i = 1; i < steps.length; i++) expect(steps[i]!).toBeGreaterThan(steps[i - 1]!);
    expect(ctx.api.duplicateCodes()).toEqual([]);
    expect(ctx.api.unauthorizedCount).toBe(0);
    expectNoExpiredTokenSent(ctx.api);
  }, 60_000);

  it('while a renewal waits for the next step, callers keep the current token until it has minValidityMs left', async () => {
    const { session, clock, api } = setup({ session: twoFactorSession() });
    const first = await session.getToken();
    clock.advance(25_000); // renewal due, same step: the renewal has to wait for the next step
    expect(await session.getToken()).toBe(first);
    expect(api.loginCount).toBe(1);
  });

  it('keeps one more second in reserve for the whole-second iat/exp: no stale token in the last 2 s', async () => {
    const { session, clock } = setup({ session: twoFactorSession(), start: stepAlignedStart + 1_000 });
    const first = await session.getToken();
    clock.advance(27_900); // renewal running (waiting for the next step); 2.1 s of nominal validity left
    expect(await session.getToken()).toBe(first);
    clock.advance(200); // 1.9 s left: retired, callers wait for the renewal
    const next = await session.getToken();
    expect(next).not.toBe(first);
  });

  it('an invalidate in the same step does not resubmit the code: the next login waits for the next step', async () => {
    const { api, session, clock } = setup({ session: twoFactorSession() });
    const first = await session.getToken();
    session.invalidate(first);
    clock.advance(1_000);
    const second = await session.getToken();
    expect(second).not.toBe(first);
    expect(api.logins.map(({ status }) => status)).toEqual([200, 200]);
    expect(api.duplicateCodes()).toEqual([]);
    expect(clock.sleeps).toEqual([29_001]);
    expect(totpStep(api.logins[1]!.at)).toBe(totpStep(api.logins[0]!.at) + 1);
  });
});

describe('a failed login', () => {
  it('rejects every concurrent waiter with the same AuthHttpError, caches nothing and does not retry', async () => {
    let password: string = 'wrong password';
    const { api, session, clock } = setup({
      session: { credentials: () => ({ ...product, password }) },
    });
    const waiters = Array.from({ length: 10 }, () => session.getToken());
    const errors = await Promise.all(waiters.map((waiter) => rejection(waiter, AuthHttpError)));
    expect(errors[0]?.status).toBe(401);
    expect(errors[0]?.code).toBe('invalid_credentials');
    for (const error of errors) expect(error).toBe(errors[0]);
    expect(api.loginCount).toBe(1);

    // No automatic retry, however long we wait.
    clock.advance(60_000);
    await settle();
    expect(api.loginCount).toBe(1);
    expect(session.loginCount).toBe(1);

    // Not poisoned: the next getToken starts a new login (still failing, with a new error).
    const again = await rejection(session.getToken(), AuthHttpError);
    expect(again).not.toBe(errors[0]);
    expect(api.loginCount).toBe(2);

    // Credentials fixed (the callback is asked again): the next getToken succeeds.
    password = product.password;
    const token = await session.getToken();
    expect(token).toBe(api.issued[0]?.token);
    expect(api.loginCount).toBe(3);
    expect(await session.getToken()).toBe(token);
    expect(api.loginCount).toBe(3);
  });

  it('a protected call whose login fails rejects with that AuthHttpError and sends nothing to the API', async () => {
    const { api, things } = setup({ session: { credentials: { ...product, password: 'nope' } } });
    const error = await rejection(things.GET('/things'), AuthHttpError);
    expect(error.status).toBe(401);
    expect(api.protectedRequests).toEqual([]);
  });
});

describe('getToken with an AbortSignal', () => {
  it('an already-aborted signal rejects at once and starts no login', async () => {
    const { session, api } = setup();
    const error = await rejection(session.getToken({ signal: AbortSignal.abort() }), AuthTransportError);
    expect(error.reason).toBe('aborted');
    expect(session.loginCount).toBe(0);
    expect(api.loginCount).toBe(0);
  });

  it('aborting one waiter rejects it with reason aborted; the shared login completes for the others', async () => {
    const { api, session } = setup();
    const release = api.holdLogins();
    const controller = new AbortController();
    const others = [session.getToken(), session.getToken()];
    const aborted = session.getToken({ signal: controller.signal });
    await settle();
    expect(api.loginCount).toBe(1);
    controller.abort(new Error('caller gave up'));
    const error = await rejection(aborted, AuthTransportError);
    expect(error.reason).toBe('aborted');
    release();
    const tokens = await Promise.all(others);
    expect(tokens).toEqual([api.issued[0]?.token, api.issued[0]?.token]);
    expect(api.loginCount).toBe(1);
    expect(session.loginCount).toBe(1);
    // The token of the login the aborted caller shared is cached for later callers.
    expect(await session.getToken()).toBe(tokens[0]);
    expect(api.loginCount).toBe(1);
  });

  it('an already aborted signal rejects at once with reason aborted', async () => {
    const { session } = setup();
    const error = await rejection(session.getToken({ signal: AbortSignal.abort() }), AuthTransportError);
    expect(error.reason).toBe('aborted');
  });

  it('a protected request aborted while its token is pending rejects with reason aborted', async () => {
    const { api, things } = setup();
    const release = api.holdLogins();
    const controller = new AbortController();
    const pending = things.GET('/things', { signal: controller.signal });
    const other = things.GET('/things');
    await settle();
    controller.abort();
    const error = await rejection(pending, AuthTransportError);
    expect(error.reason).toBe('aborted');
    release();
    expect((await other).response.status).toBe(200);
    expect(api.protectedRequests).toHaveLength(1);
  });
});

describe('middleware', () => {
  it('never adds Authorization to POST /auth/jwt, even installed on the API client itself', async () => {
    const clock = createVirtualClock();
    const api = createFakeAuthApi({ clock, accounts });
    const auth = createAuthClient({ baseUrl: api.baseUrl, fetch: api.fetch });
    const session = createTokenSession({ client: auth, credentials: product, clock });
    const authApi = createAuthApi({ baseUrl: api.baseUrl, fetch: api.fetch });
    authApi.use(session.middleware());
    const token = await session.getToken();
    expect(token).toBe(api.issued[0]?.token);
    // A direct login through the (middleware-equipped) openapi-fetch client of the auth API.
    await authApi.POST('/auth/jwt', {
      body: product,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(api.logins).toHaveLength(2);
    expect(api.logins.map(({ authorization }) => authorization)).toEqual([null, null]);
  });

  it("format 'rfc6750' (the default) sends `Bearer <token>`", async () => {
    const { api, things, session } = setup();
    const { response } = await things.GET('/things');
    expect(response.status).toBe(200);
    expect(api.protectedRequests[0]?.authorization).toBe(`Bearer ${await session.getToken()}`);
  });

  it("format 'source-colon' sends `Bearer: <token>` (to an API that accepts only that form)", async () => {
    const { api, things, session } = setup({
      fake: { authorizationFormat: 'source-colon' },
      middleware: { format: 'source-colon' },
    });
    const { response, data } = await things.GET('/things');
    expect(response.status).toBe(200);
    expect(data?.subject).toBe(product.username);
    expect(api.protectedRequests[0]?.authorization).toBe(`Bearer: ${await session.getToken()}`);
  });

  it('the fake API refuses the other format (so the format tests can fail)', async () => {
    const { api, things } = setup({
      fake: { authorizationFormat: 'source-colon' },
      middleware: { retryOnUnauthorized: false },
    });
    expect((await things.GET('/things')).response.status).toBe(401);
    expect(api.protectedRequests[0]?.authorization).toMatch(/^Bearer [^:]/u);
  });

  it('on a 401 (token revoked) renews once and replays once, with the JSON body intact', async () => {
    const { api, things } = setup();
    expect((await things.GET('/things')).response.status).toBe(200);
    const revoked = api.issued[0]!.token;
    api.revoke(revoked);

    const { response, data } = await things.POST('/things', { body: { name: 'widget ✓' } });
    expect(response.status).toBe(201);
    expect(data).toEqual({ name: 'widget ✓', owner: product.username });
    expect(api.loginCount).toBe(2);
    const posts = api.protectedRequests.filter(({ method }) => method === 'POST');
    expect(posts.map(({ status }) => status)).toEqual([401, 201]);
    expect(posts.map(({ token }) => token)).toEqual([revoked, api.issued[1]?.token]);
    expect(posts.map(({ body }) => body)).toEqual([{ name: 'widget ✓' }, { name: 'widget ✓' }]);
    expect(posts[1]?.authorization).toBe(`Bearer ${api.issued[1]?.token}`);
  });

  it('50 concurrent requests hitting 401 with the same revoked token share one renewal', async () => {
    const { api, things } = setup();
    await things.GET('/things');
    api.revoke(api.issued[0]!.token);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => things.POST('/things', { body: { name: `n${i}` } })),
    );
    expect(results.map(({ response }) => response.status)).toEqual(Array(50).fill(201));
    expect(results.map(({ data }) => data?.name)).toEqual(Array.from({ length: 50 }, (_, i) => `n${i}`));
    expect(api.loginCount).toBe(2);
  });

  it('a second 401 is returned as it is: exactly two requests, one renewal, no loop', async () => {
    const { api, things } = setup();
    await things.GET('/things');
    const before = api.protectedRequests.length;
    api.failNextProtected(2);
    const { response, error } = await things.POST('/things', { body: { name: 'x' } });
    expect(response.status).toBe(401);
    expect(error).toBeDefined();
    expect(api.protectedRequests.length - before).toBe(2);
    expect(api.loginCount).toBe(2);
    // The session keeps working afterwards.
    expect((await things.GET('/things')).response.status).toBe(200);
    expect(api.loginCount).toBe(2);
  });

  it('retryOnUnauthorized: false returns the 401 directly, without renewing', async () => {
    const { api, things } = setup({ middleware: { retryOnUnauthorized: false } });
    await things.GET('/things');
    const before = api.protectedRequests.length;
    api.failNextProtected(1);
    const { response } = await things.POST('/things', { body: { name: 'x' } });
    expect(response.status).toBe(401);
    expect(api.protectedRequests.length - before).toBe(1);
    expect(api.loginCount).toBe(1);
  });
});

describe("the JWT's exp can only shorten the lifetime", () => {
  it.each([
    { stated: 10, marginMs: 5_000, intervalMs: 5_000, logins: 12 },
    { stated: 10, marginMs: 2_000, intervalMs: 8_000, logins: 8 },
    { stated: 3_600, marginMs: 5_000, intervalMs: 25_000, logins: 3 },
    { stated: 3_600, marginMs: 2_000, intervalMs: 28_000, logins: 3 },
  ])(
    'exp − iat = $stated s, margin $marginMs ms → renewed every $intervalMs ms',
    async ({ stated, marginMs, intervalMs, logins }) => {
      const ctx = setup({ fake: { tokenLifetimeSeconds: stated }, session: { renewBeforeMs: marginMs } });
      const statuses = await steadyCalls(ctx, 60_000);
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      const times = ctx.api.logins.map(({ at }) => at - stepAlignedStart);
      expect(times).toEqual(Array.from({ length: logins }, (_, i) => i * intervalMs));
      expectNoExpiredTokenSent(ctx.api);
    },
    30_000,
  );
});

describe('option validation', () => {
  function create(options: Partial<TokenSessionOptions>) {
    const auth = createAuthClient({ baseUrl: 'https://api.test/v1', fetch: () => Promise.reject(new Error('unused')) });
    return createTokenSession({ client: auth, credentials: product, ...options });
  }

  it.each([
    { renewBeforeMs: 30_000 },
    { renewBeforeMs: 30_001 },
    { renewBeforeMs: 10_000, tokenLifetimeMs: 10_000 },
    { renewBeforeMs: 5_000, tokenLifetimeMs: 4_000 },
    { tokenLifetimeMs: 5_000 },
  ])('renewBeforeMs ≥ tokenLifetimeMs is a RangeError: %o', (options) => {
    expect(() => create(options)).toThrow(RangeError);
  });

  it.each([
    { renewBeforeMs: -1 },
    { tokenLifetimeMs: -1 },
    { tokenLifetimeMs: 0 },
    { twoFactorPeriodMs: -30_000 },
    { twoFactorPeriodMs: 0 },
    { maxTwoFactorWaitMs: -1 },
    { renewBeforeMs: 1.5 },
    { renewBeforeMs: Number.NaN },
    { tokenLifetimeMs: Number.POSITIVE_INFINITY },
  ])('negative, zero (where meaningless) or non-integer values are RangeErrors: %o', (options) => {
    expect(() => create(options)).toThrow(RangeError);
  });

  it('valid edge values are accepted', () => {
    expect(() => create({ renewBeforeMs: 0 })).not.toThrow();
    expect(() => create({ renewBeforeMs: 29_999 })).not.toThrow();
    expect(() => create({ renewBeforeMs: 0, tokenLifetimeMs: 1, maxTwoFactorWaitMs: 0 })).not.toThrow();
  });

  it('the default clock is the system clock', async () => {
    const before = Date.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    await systemClock.sleep(1);
    await expect(systemClock.sleep(10_000, AbortSignal.abort(new Error('stop')))).rejects.toThrow('stop');
  });
});

describe('errors never contain the password or 2FA codes', () => {
  function renderings(error: unknown): string[] {
    const err = error as Error;
    return [err.message, String(err), JSON.stringify(err), inspect(err, { depth: Infinity }), String(err.stack)];
  }

  function expectNoSecret(error: unknown, secrets: readonly string[]): void {
    expect(error).toBeInstanceOf(AuthError);
    for (const text of renderings(error)) {
      for (const secret of secrets) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(encodeURIComponent(secret));
        expect(text).not.toContain(new URLSearchParams([['', secret]]).toString().slice(1));
      }
    }
  }

  it('wrong password, from a server that echoes it', async () => {
    const password = 'p@ss word&secret=42';
    const { api, session } = setup({
      fake: { echoSecretsInErrors: true },
      session: { credentials: { ...product, password } },
    });
    const error = await rejection(session.getToken(), AuthHttpError);
    // The fake did echo it, so the check below is meaningful.
    expect(api.logins[0]?.code).toBe('invalid_credentials');
    expect(error.body?.message).toContain('[REDACTED]');
    expectNoSecret(error, [password]);
  });

  it('a rejected 2FA code, from a server that echoes it and the password', async () => {
    const clock0 = stepAlignedStart;
    const badCode = totpCodeAt(totpSecret, clock0 + 3_600_000); // valid an hour later, not now
    const { api, session } = setup({
      fake: { echoSecretsInErrors: true },
      session: twoFactorSession({ twoFactorCode: () => badCode }),
    });
    const error = await rejection(session.getToken(), AuthHttpError);
    expect(error.code).toBe('invalid_two_factor_token');
    expect(api.codeSubmissions.map(({ code }) => code)).toEqual([badCode]);
    expectNoSecret(error, [twoFactorUser.password, badCode]);
  });

  it('a code source stuck on a used code', async () => {
    const code = totpCodeAt(totpSecret, stepAlignedStart);
    const { api, session } = setup({ session: twoFactorSession({ twoFactorCode: () => code }) });
    await session.getToken();
    session.invalidate();
    const error = await rejection(session.getToken(), AuthError);
    expect(error).not.toBeInstanceOf(AuthHttpError);
    expect(api.codeSubmissions.map((submission) => submission.code)).toEqual([code]);
    expectNoSecret(error, [twoFactorUser.password, code]);
  });

  it('a protected call whose renewal fails, and an aborted wait', async () => {
    let password: string = twoFactorUser.password;
    let lastCode = '';
    const source = totpCodeSource(totpSecret);
    const { api, things } = setup({
      fake: { echoSecretsInErrors: true },
      session: {
        credentials: () => ({ ...twoFactorUser, password }),
        twoFactorCode: guarded(async (request) => (lastCode = await source(request))),
      },
    });
    expect((await things.GET('/things')).response.status).toBe(200);
    api.revoke(api.issued[0]!.token);
    password = 'a different secret';
    const error = await rejection(things.GET('/things'), AuthHttpError);
    expect(error.code).toBe('invalid_credentials');
    expectNoSecret(error, [twoFactorUser.password, password, lastCode]);

    const controller = new AbortController();
    const pending = things.GET('/things', { signal: controller.signal });
    controller.abort();
    expectNoSecret(await rejection(pending, AuthTransportError), [twoFactorUser.password, password, lastCode]);
  });
});

describe('a code source that keeps returning a used code', () => {
  function stuckSetup(session: Partial<TokenSessionOptions> = {}) {
    let asked = 0;
    const code = totpCodeAt(totpSecret, stepAlignedStart);
    const twoFactorCode = () => {
      asked++;
      return code;
    };
    const ctx = setup({ session: twoFactorSession({ ...session, twoFactorCode }) });
    return { ...ctx, stuck: ctx.session, code, asked: () => asked };
  }

  function expectClearError(error: AuthError): void {
    expect(error).not.toBeInstanceOf(AuthHttpError);
    expect(error).not.toBeInstanceOf(AuthTransportError);
    expect(error.message).toMatch(/2FA code/u);
    expect(error.message).toMatch(/already submitted/u);
  }

  it('fails with a clear AuthError within maxTwoFactorWaitMs (default 35 s), without resubmitting', async () => {
    const { stuck, api, clock, asked } = stuckSetup();
    await stuck.getToken();
    clock.advance(29_500); // past renewal (25 s) and retirement (29 s): callers must wait for the renewal
    const started = clock.now();
    const error = await rejection(stuck.getToken(), AuthError);
    expectClearError(error);
    const waited = clock.now() - started;
    expect(waited).toBeGreaterThan(0);
    expect(waited).toBeLessThanOrEqual(35_000);
    expect(api.codeSubmissions).toHaveLength(1);
    expect(api.loginCount).toBe(1);
    expect(asked()).toBeLessThan(5);
  });

  it.each([60_000, 120_000, 300_000])(
    'maxTwoFactorWaitMs %i: waits step after step, then fails clearly; the used code is never resubmitted',
    async (maxTwoFactorWaitMs) => {
      const { stuck, api, clock, asked } = stuckSetup({ maxTwoFactorWaitMs });
      await stuck.getToken();
      stuck.invalidate();
      const started = clock.now();
      const error = await rejection(stuck.getToken(), AuthError);
      expectClearError(error);
      const waited = clock.now() - started;
      expect(waited).toBeLessThanOrEqual(maxTwoFactorWaitMs);
      expect(waited).toBeGreaterThan(maxTwoFactorWaitMs - 30_002);
      expect(api.duplicateCodes()).toEqual([]);
      expect(api.loginCount).toBe(1);
      expect(asked()).toBeLessThanOrEqual(2 + Math.ceil(maxTwoFactorWaitMs / 30_000));
    },
  );

  it('after an idle gap that crosses two steps during the wait, the used code is still not resubmitted', async () => {
    const { stuck, api, clock } = stuckSetup();
    await stuck.getToken();
    clock.advance(50_000);
    const error = await rejection(stuck.getToken(), AuthError);
    expectClearError(error);
    expect(api.duplicateCodes()).toEqual([]);
    expect(api.loginCount).toBe(1);
  });

  it('the failure is not cached: a working code source afterwards logs in', async () => {
    let stuckCode: string | undefined;
    const { api, session, clock } = setup({
      session: twoFactorSession({
        twoFactorCode: (request) => stuckCode ?? totpCodeAt(totpSecret, request.now),
      }),
    });
    await session.getToken();
    stuckCode = api.codeSubmissions[0]?.code;
    session.invalidate();
    await rejection(session.getToken(), AuthError);
    stuckCode = undefined;
    clock.advance(1);
    await session.getToken();
    expect(api.logins.map(({ status }) => status)).toEqual([200, 200]);
    expect(api.duplicateCodes()).toEqual([]);
  });
});
