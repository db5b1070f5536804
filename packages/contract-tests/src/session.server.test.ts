// The token session in real time against the reference server (behind its validating Prism proxy),
// authorizing calls to a user's own API (fixtures/protected-api.yaml) that verifies every token
// with the server's JWKS: tokens live 30 s, and the calls must never notice.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAuthClient, createTokenSession, type AuthClient, type TokenSession } from '@lumminary/auth-sdk';
import { totpCodeSource } from '@lumminary/auth-sdk/totp';
import { demoAccountsFile, startAuthServer } from '@lumminary/auth-server';
import createClient, { type Client } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { paths } from './generated/protected-api.js';
import { demoProduct, startServerBehindProxy, type ServerBehindProxy } from './harness.js';
import { startProtectedApi, type ProtectedApi } from './protected-api-server.js';

const stepMs = 30_000;
const tokenLifetimeMs = 30_000;
const defaultRenewBeforeMs = 5_000;

let target: ServerBehindProxy;
/** Used by the long run only, so that its counts are its own. */
let api: ProtectedApi;
/** Accepts the source document's `Bearer: <token>` as well. */
let colonApi: ProtectedApi;
/** Strict (RFC 6750 only); its revocation hook serves the replay tests. */
let strictApi: ProtectedApi;

beforeAll(async () => {
  // The real clock: the server, the session, the fixture API and jose all read Date.now().
  target = await startServerBehindProxy({ twoFactorAccounts: 1 });
  const jwksUrl = `${target.serverUrl}/.well-known/jwks.json`;
  [api, colonApi, strictApi] = await Promise.all([
    startProtectedApi({ jwksUrl }),
    startProtectedApi({ jwksUrl, acceptSourceColon: true }),
    startProtectedApi({ jwksUrl }),
  ]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), colonApi?.stop(), strictApi?.stop()]);
  await target?.stop();
});

interface SeenLogin {
  /** `Date.now()` when the login request left. */
  at: number;
  status: number;
  /** The `2FA-token` form field, if any. */
  code: string | undefined;
}

/** An auth client (through the proxy) whose fetch records every `POST /auth/jwt` and its status. */
function countingAuthClient(): { auth: AuthClient; logins: SeenLogin[] } {
  const logins: SeenLogin[] = [];
  const auth = createAuthClient({
    baseUrl: target.url,
    fetch: async (request) => {
      const isLogin = request.method === 'POST' && new URL(request.url).pathname.endsWith('/auth/jwt');
      if (!isLogin) return fetch(request);
      const body = await request.clone().text();
      const at = Date.now();
      const response = await fetch(request);
      logins.push({ at, status: response.status, code: new URLSearchParams(body).get('2FA-token') ?? undefined });
      return response;
    },
  });
  return { auth, logins };
}

function protectedClient(baseUrl: string, session: TokenSession, ...options: Parameters<TokenSession['middleware']>) {
  const client = createClient<paths>({ baseUrl });
  client.use(session.middleware(...options));
  return client;
}

interface LoopResult {
  calls: number;
  elapsedMs: number;
  /** How many calls ended with each status; `error` for a call that threw. */
  statuses: Record<string, number>;
  subjects: Set<string>;
  maxLatencyMs: number;
  /** Calls that took over 300 ms: when they started (ms into the run) and how long they took. */
  slowCalls: { atMs: number; ms: number }[];
}

/** Calls GET /things `parallel` at a time every `intervalMs` until `durationMs` passed or `maxCalls` were made. */
async function callLoop(
  things: Client<paths>,
  {
    durationMs,
    intervalMs,
    parallel,
    maxCalls,
  }: { durationMs: number; intervalMs: number; parallel: number; maxCalls: number },
): Promise<LoopResult> {
  const result: LoopResult = {
    calls: 0,
    elapsedMs: 0,
    statuses: {},
    subjects: new Set(),
    maxLatencyMs: 0,
    slowCalls: [],
  };
  const started = performance.now();
  const call = async () => {
    const sent = performance.now();
    let outcome: string;
    try {
      const { data, response } = await things.GET('/things', { signal: AbortSignal.timeout(40_000) });
      outcome = String(response.status);
      if (data !== undefined) result.subjects.add(data.subject);
    } catch (error) {
      outcome = `error: ${String(error)}`;
    }
    result.statuses[outcome] = (result.statuses[outcome] ?? 0) + 1;
    const ms = performance.now() - sent;
    result.maxLatencyMs = Math.max(result.maxLatencyMs, ms);
    if (ms > 300) result.slowCalls.push({ atMs: Math.round(sent - started), ms: Math.round(ms) });
  };
  while (result.calls < maxCalls && performance.now() - started < durationMs) {
    result.calls += parallel;
    await Promise.all(Array.from({ length: parallel }, call));
    await sleep(intervalMs);
  }
  result.elapsedMs = performance.now() - started;
  return result;
}

/** The TOTP step (near `at`) whose code `code` is, or undefined. */
async function stepOfCode(secret: string, code: string, at: number): Promise<number | undefined> {
  const source = totpCodeSource(secret);
  const around = Math.floor(at / stepMs);
  for (const step of [around, around - 1, around + 1]) {
    if ((await source({ now: step * stepMs, signal: undefined })) === code) return step;
  }
  return undefined;
}

describe('the fixture API', () => {
  it('refuses and counts a missing header, a token signed by another key and an expired token', async () => {
    // A second reference server whose clock runs a minute late: its tokens are expired when issued.
    const late = await startAuthServer({
      quiet: true,
      port: 0,
      accountsFile: demoAccountsFile,
      clock: { now: () => Date.now() - 60_000 },
    });
    const fixture = await startProtectedApi({ jwksUrl: `${late.url}/.well-known/jwks.json` });
    try {
      const call = (authorization?: string) =>
        fetch(`${fixture.url}/things`, {
          headers: authorization === undefined ? {} : { Authorization: authorization },
        });
      const expired = (await createAuthClient({ baseUrl: late.url }).postJwtAuth(demoProduct)).accessToken;
      const foreign = (await createAuthClient({ baseUrl: target.url }).postJwtAuth(demoProduct)).accessToken;
      expect((await call()).status).toBe(401);
      expect((await call(`Bearer ${foreign}`)).status).toBe(401);
      expect(fixture.stats.sawExpiredToken).toBe(false);
      const refused = await call(`Bearer ${expired}`);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ code: 'unauthorized', message: 'The token is expired.' });
      expect(fixture.stats).toMatchObject({
        requests: 3,
        unauthorized: 3,
        expiredTokens: 1,
        sawExpiredToken: true,
        refusals: { missing: 1, malformed: 0, expired: 1, invalid: 1, revoked: 0 },
      });
    } finally {
      await fixture.stop();
      await late.close();
    }
  });
});

describe('a session keeps protected calls working across token expiries (real time)', () => {
  it('product and 2FA sessions, concurrently, for over 70 s: every call 200, no expired token, logins as expected', async () => {
    const [account] = target.twoFactorAccounts;
    if (account === undefined) throw new Error('the harness made no 2FA account');
    const product = countingAuthClient();
    const productSession = createTokenSession({ client: product.auth, credentials: demoProduct });

    const twoFactor = countingAuthClient();
    const totp = totpCodeSource(account.totpSecret);
    /** Every code the 2FA session was handed, in order: a repeat means the session had to wait for the next step. */
    const codesHanded: string[] = [];
    const twoFactorSession = createTokenSession({
      client: twoFactor.auth,
      credentials: { username: account.username, password: account.password, role: 'role_product' },
      twoFactorCode: async (request) => {
        const code = await totp(request);
        codesHanded.push(code);
        return code;
      },
    });

    // Start the 2FA run 1–9 s into a TOTP step: one of its first two renewals (25 s apart) then falls in
    // the step of the previous login, and the session must wait for the next step instead of reusing a code.
    const phase = Date.now() % stepMs;
    const delayMs = phase >= 1_000 && phase < 9_000 ? 0 : (stepMs + 1_000 - phase) % stepMs;
    const durationMs = 71_000;
    const loops = { intervalMs: 150, parallel: 2, maxCalls: 2_000 };

    // Not asserted: tells a slow call caused by this process (a blocked event loop) from one caused by the session.
    const eventLoopDelay = monitorEventLoopDelay({ resolution: 20 });
    eventLoopDelay.enable();
    const [productRun, twoFactorRun] = await Promise.all([
      // The product run covers the whole 2FA run, so both sessions renew side by side.
      callLoop(protectedClient(api.url, productSession), { ...loops, durationMs: delayMs + durationMs }),
      sleep(delayMs).then(() =>
        callLoop(protectedClient(api.url, twoFactorSession), { ...loops, intervalMs: 200, durationMs }),
      ),
    ]);
    eventLoopDelay.disable();

    const report = {
      delayMs,
      maxEventLoopDelayMs: Math.round(eventLoopDelay.max / 1e6),
      product: { ...productRun, subjects: [...productRun.subjects], logins: productSession.loginCount },
      twoFactor: {
        ...twoFactorRun,
        subjects: [...twoFactorRun.subjects],
        logins: twoFactorSession.loginCount,
        loginPhasesMs: twoFactor.logins.map((login) => login.at % stepMs),
        codesHanded: codesHanded.length,
      },
      api: { requests: api.stats.requests, unauthorized: api.stats.unauthorized, expired: api.stats.expiredTokens },
    };
    console.info('session real-time run', JSON.stringify(report));

    // Every call of both loops succeeded, for the right subject, and the loops really ran that long.
    for (const [run, subject] of [
      [productRun, demoProduct.username],
      [twoFactorRun, account.username],
    ] as const) {
      expect(run.statuses).toEqual({ '200': run.calls });
      expect([...run.subjects]).toEqual([subject]);
      expect(run.elapsedMs).toBeGreaterThanOrEqual(70_000);
      expect(run.calls).toBeGreaterThanOrEqual(300);
    }
    // The fixture API agrees: every request verified, not one 401, never an expired token.
    expect(api.stats.requests).toBe(productRun.calls + twoFactorRun.calls);
    expect(api.stats.unauthorized).toBe(0);
    expect(api.stats.expiredTokens).toBe(0);
    expect(api.stats.sawExpiredToken).toBe(false);

    // Product: one login per (30 s − margin) at most, shared by the parallel callers; the server saw each.
    const maxLogins = (elapsedMs: number) => Math.ceil(elapsedMs / (tokenLifetimeMs - defaultRenewBeforeMs)) + 1;
    expect(productSession.loginCount).toBeGreaterThanOrEqual(3);
    expect(productSession.loginCount).toBeLessThanOrEqual(maxLogins(productRun.elapsedMs));
    expect(product.logins.map((login) => login.status)).toEqual(Array(productSession.loginCount).fill(200));
    // Each renewal's token was put to use (the last one may have come after the last call).
    const productTokens = new Set(
      api.stats.log.filter((seen) => seen.subject === demoProduct.username).map((seen) => seen.jti),
    );
    expect(productTokens.size).toBeGreaterThanOrEqual(productSession.loginCount - 1);
    expect(productTokens.size).toBeLessThanOrEqual(productSession.loginCount);

    // 2FA: no login refused (a reused code would be a 401 invalid_two_factor_token), each code from a
    // later step than the one before (what the server demands), and at least once the session was
    // handed an already used code and waited for the next step.
    expect(twoFactorSession.loginCount).toBeGreaterThanOrEqual(3);
    expect(twoFactorSession.loginCount).toBeLessThanOrEqual(maxLogins(twoFactorRun.elapsedMs));
    expect(twoFactor.logins.map((login) => login.status)).toEqual(Array(twoFactorSession.loginCount).fill(200));
    const steps = await Promise.all(
      twoFactor.logins.map((login) => stepOfCode(account.totpSecret, login.code ?? '', login.at)),
    );
    expect(steps.every((step) => step !== undefined)).toBe(true);
    expect(steps).toEqual([...steps].sort((a, b) => (a ?? 0) - (b ?? 0)));
    expect(new Set(steps).size).toBe(steps.length);
    expect(codesHanded.length).toBeGreaterThan(twoFactorSession.loginCount);
    expect(new Set(twoFactor.logins.map((login) => login.code)).size).toBe(twoFactorSession.loginCount);
  }, 130_000);
});

describe('the middleware with a user’s own API', () => {
  it('POST /things is authorized; a 401 from the API is renewed once and replayed once, body intact', async () => {
    const { auth, logins } = countingAuthClient();
    const session = createTokenSession({ client: auth, credentials: demoProduct });
    const things = protectedClient(strictApi.url, session);

    const name = 'thing «1» ✓ with a body that must survive the replay';
    const created = await things.POST('/things', { body: { name } });
    expect(created.response.status).toBe(201);
    expect(created.data).toEqual({ name, owner: demoProduct.username });
    expect(session.loginCount).toBe(1);

    // The API revokes the next token it sees: the session renews and the request is replayed.
    const before = strictApi.stats.log.length;
    strictApi.revokeNextTokens(1);
    const replayedName = `${name}, replayed`;
    const replayed = await things.POST('/things', { body: { name: replayedName } });
    expect(replayed.response.status).toBe(201);
    expect(replayed.data).toEqual({ name: replayedName, owner: demoProduct.username });
    const seen = strictApi.stats.log.slice(before);
    expect(seen.map(({ method, status, refusal }) => ({ method, status, refusal }))).toEqual([
      { method: 'POST', status: 401, refusal: 'revoked' },
      { method: 'POST', status: 201, refusal: undefined },
    ]);
    expect(seen[0]?.body).toBe(JSON.stringify({ name: replayedName }));
    expect(seen[1]?.body).toBe(seen[0]?.body);
    expect(seen[1]?.jti).not.toBe(seen[0]?.jti);
    expect(session.loginCount).toBe(2);
    expect(logins.map((login) => login.status)).toEqual([200, 200]);

    const listed = await things.GET('/things');
    expect(listed.data).toEqual({ items: [name, replayedName], subject: demoProduct.username });
    expect(session.loginCount).toBe(2);
  });

  it('replays only once: a second 401 is the answer, and the next call recovers', async () => {
    const { auth, logins } = countingAuthClient();
    const session = createTokenSession({ client: auth, credentials: demoProduct });
    const things = protectedClient(strictApi.url, session);
    await session.getToken();

    const before = strictApi.stats.log.length;
    strictApi.revokeNextTokens(2);
    const refused = await things.POST('/things', { body: { name: 'refused twice' } });
    expect(refused.response.status).toBe(401);
    const seen = strictApi.stats.log.slice(before);
    expect(seen.map(({ status, refusal }) => ({ status, refusal }))).toEqual([
      { status: 401, refusal: 'revoked' },
      { status: 401, refusal: 'revoked' },
    ]);
    expect(seen[1]?.body).toBe(JSON.stringify({ name: 'refused twice' }));
    expect(session.loginCount).toBe(2);

    // The session still holds the (revoked) replay token: the next call is refused once, renews and succeeds.
    const listed = await things.GET('/things');
    expect(listed.response.status).toBe(200);
    expect(listed.data?.items).not.toContain('refused twice');
    expect(session.loginCount).toBe(3);
    expect(logins.map((login) => login.status)).toEqual([200, 200, 200]);
  });

  it('the source document’s `Bearer: <token>` works where the API accepts it and is refused where it does not', async () => {
    const { auth, logins } = countingAuthClient();
    const session = createTokenSession({ client: auth, credentials: demoProduct });

    const accepted = await protectedClient(colonApi.url, session, { format: 'source-colon' }).GET('/things');
    expect(accepted.response.status).toBe(200);
    expect(accepted.data?.subject).toBe(demoProduct.username);
    expect(colonApi.stats.log.at(-1)).toMatchObject({ format: 'source-colon', status: 200 });
    // The lenient API takes RFC 6750 too.
    const standard = await protectedClient(colonApi.url, session).GET('/things');
    expect(standard.response.status).toBe(200);
    expect(colonApi.stats.log.at(-1)).toMatchObject({ format: 'rfc6750', status: 200 });
    expect(session.loginCount).toBe(1);

    // The strict API refuses the form; without retries that is one request and no new login.
    const before = strictApi.stats.log.length;
    const strictNoRetry = protectedClient(strictApi.url, session, {
      format: 'source-colon',
      retryOnUnauthorized: false,
    });
    const refused = await strictNoRetry.GET('/things');
    expect(refused.response.status).toBe(401);
    expect(refused.response.headers.get('WWW-Authenticate')).toContain('invalid_token');
    expect(strictApi.stats.log.slice(before)).toEqual([
      expect.objectContaining({ format: 'source-colon', refusal: 'malformed' }),
    ]);
    expect(session.loginCount).toBe(1);

    // With the default retry, a refused format costs one renewal per call and is still refused.
    const strictRetry = protectedClient(strictApi.url, session, { format: 'source-colon' });
    const refusedAgain = await strictRetry.GET('/things');
    expect(refusedAgain.response.status).toBe(401);
    expect(strictApi.stats.log.slice(before + 1).map((seen) => seen.refusal)).toEqual(['malformed', 'malformed']);
    expect(session.loginCount).toBe(2);
    expect(logins).toHaveLength(2);
  });
});
