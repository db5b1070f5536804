import type { Middleware } from 'openapi-fetch';
import type { AuthClient, LoginCallOptions } from './client.js';
import { AuthError, AuthTransportError } from './errors.js';
import type { LoginInput } from './login-input.js';

/** Time as the session sees it; inject one in tests to simulate minutes in milliseconds. */
export interface SessionClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds; rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `Date.now` and `setTimeout`. */
export const systemClock: SessionClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/**
 * The credentials of a login, without the 2FA code (the session supplies it). `twoFactorToken?: never`
 * refuses one also where TypeScript checks no excess properties (a callback's result, a `LoginInput` variable).
 */
export type SessionCredentials = Omit<LoginInput, 'twoFactorToken'> & { twoFactorToken?: never };

/** What a 2FA code source is told when the session needs a code. */
export interface TwoFactorCodeRequest {
  /** The session clock's current time, in milliseconds. */
  now: number;
  /** Aborts when the caller gives up. */
  signal?: AbortSignal | undefined;
}

/** Supplies one-time 2FA codes: a callback, or `totpCodeSource(secret)` from `@lumminary/auth-sdk/totp`. */
export type TwoFactorCodeSource = (request: TwoFactorCodeRequest) => string | Promise<string>;

/** How the token goes into `Authorization`. */
export type AuthorizationFormat = 'rfc6750' | 'source-colon';

/** Options of `createTokenSession`. */
export interface TokenSessionOptions {
  /** The auth client that logs in. */
  client: AuthClient;
  /** The credentials, or a callback that returns them for each login (e.g. read from a vault). */
  credentials: SessionCredentials | (() => SessionCredentials | Promise<SessionCredentials>);
  /** Where 2FA codes come from, for accounts with 2FA enabled. */
  twoFactorCode?: TwoFactorCodeSource | undefined;
  /** Start renewing this many ms before the token expires. Default: 5 000. */
  renewBeforeMs?: number | undefined;
  /** While a renewal runs (e.g. waiting for the next 2FA step), keep handing out the current token until it has this many ms left. Default: 1 000; at most `renewBeforeMs`. */
  minValidityMs?: number | undefined;
  /** A token's lifetime from the moment its login was sent, in ms. Default: 30 000 (the API's 30 s). */
  tokenLifetimeMs?: number | undefined;
  /** The 2FA step length, in ms: a used code is retried only in a later step. Default: 30 000. */
  twoFactorPeriodMs?: number | undefined;
  /** The longest a login waits for a 2FA code that has not been used yet, in ms. Default: 35 000. */
  maxTwoFactorWaitMs?: number | undefined;
  /** Options passed to every login (encoding, timeout). */
  loginOptions?: Omit<LoginCallOptions, 'signal'> | undefined;
  /** The clock. Default: `systemClock`. */
  clock?: SessionClock | undefined;
}

/** Options of `TokenSession.getToken`. */
export interface GetTokenOptions {
  /** Stops waiting (the shared login itself goes on for the other callers). */
  signal?: AbortSignal | undefined;
}

/** Options of `TokenSession.middleware`. */
export interface AuthorizationMiddlewareOptions {
  /** `rfc6750` sends `Bearer <token>` (default); `source-colon` sends the source document's literal `Bearer: <token>`. */
  format?: AuthorizationFormat | undefined;
  /** On a 401 from a protected request, renew the token once and replay the request once. Default: true. */
  retryOnUnauthorized?: boolean | undefined;
}

/** A valid token whenever asked: cached, renewed before expiry, one login shared by all callers. */
export interface TokenSession {
  /** Resolves to a token that stays valid for at least `renewBeforeMs`; logs in when needed. */
  getToken(options?: GetTokenOptions): Promise<string>;
  /** Forgets `token` (or the current one) so that the next `getToken` logs in again. */
  invalidate(token?: string): void;
  /** `openapi-fetch` middleware that authorizes every request except the login itself. */
  middleware(options?: AuthorizationMiddlewareOptions): Middleware;
  /** How many logins this session has started. */
  readonly loginCount: number;
}

interface CachedToken {
  token: string;
  /** When to start renewing (expiry minus the renewal margin). */
  renewAt: number;
  /** When to stop handing the token out, even while a renewal runs (expiry minus `minValidityMs`). */
  retireAt: number;
}

const ignore = () => {};

const defaultLifetimeMs = 30_000;

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer ≥ ${min}`);
  return value;
}

/** The JWT's own lifetime (`exp - iat`) in ms, when it states one: a hint that can only shorten ours. */
function statedLifetimeMs(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/gu, '+').replace(/_/gu, '/'))) as {
      exp?: unknown;
      iat?: unknown;
    };
    if (typeof claims.exp === 'number' && typeof claims.iat === 'number' && claims.exp > claims.iat) {
      return (claims.exp - claims.iat) * 1000;
    }
  } catch {
    // Not a decodable JWT: rely on the configured lifetime.
  }
  return undefined;
}

/** Rejects as soon as `signal` aborts, else settles like `promise`. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortedError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function abortedError(signal: AbortSignal): AuthTransportError {
  return new AuthTransportError('aborted', 'Waiting for a token was aborted', { cause: signal.reason });
}

/** Creates a token session. Throws `RangeError` on invalid options. */
export function createTokenSession(options: TokenSessionOptions): TokenSession {
  const clock = options.clock ?? systemClock;
  const lifetimeMs = positiveInteger('tokenLifetimeMs', options.tokenLifetimeMs, defaultLifetimeMs, 1);
  const renewBeforeMs = positiveInteger('renewBeforeMs', options.renewBeforeMs, 5_000);
  if (renewBeforeMs >= lifetimeMs) throw new RangeError('renewBeforeMs must be shorter than tokenLifetimeMs');
  const minValidityMs = positiveInteger('minValidityMs', options.minValidityMs, Math.min(1_000, renewBeforeMs));
  if (minValidityMs > renewBeforeMs) throw new RangeError('minValidityMs must not exceed renewBeforeMs');
  const periodMs = positiveInteger('twoFactorPeriodMs', options.twoFactorPeriodMs, 30_000, 1);
  const maxTwoFactorWaitMs = positiveInteger('maxTwoFactorWaitMs', options.maxTwoFactorWaitMs, 35_000);

  let cached: CachedToken | undefined;
  let inFlight: Promise<string> | undefined;
  let loginCount = 0;
  /** Codes already submitted, with the time they were sent: never submitted again within two periods. */
  const submittedCodes = new Map<string, number>();

  async function freshTwoFactorCode(source: TwoFactorCodeSource, signal: AbortSignal | undefined): Promise<string> {
    const deadline = clock.now() + maxTwoFactorWaitMs;
    /** Codes found used during this wait: still used when the wait outlasts their two periods. */
    const refused = new Set<string>();
    for (;;) {
      const now = clock.now();
      for (const [code, sentAt] of submittedCodes) if (now - sentAt >= 2 * periodMs) submittedCodes.delete(code);
      const code = await source({ now, signal });
      if (!submittedCodes.has(code) && !refused.has(code)) return code;
      refused.add(code);
      // This code was already sent once: wait for the next 2FA step instead of failing at the server.
      const wait = periodMs - (now % periodMs) + 1;
      if (clock.now() + wait > deadline) {
        throw new AuthError(
          `No unused 2FA code within ${maxTwoFactorWaitMs} ms: the code source keeps returning a code already submitted`,
        );
      }
      try {
        await clock.sleep(wait, signal);
      } catch (error) {
        if (signal?.aborted) throw abortedError(signal);
        throw error;
      }
    }
  }

  async function login(): Promise<string> {
    loginCount++;
    const credentials = typeof options.credentials === 'function' ? await options.credentials() : options.credentials;
    let twoFactorToken: string | undefined;
    if (options.twoFactorCode !== undefined) {
      twoFactorToken = await freshTwoFactorCode(options.twoFactorCode, undefined);
    }
    const sentAt = clock.now();
    if (twoFactorToken !== undefined) submittedCodes.set(twoFactorToken, sentAt);
    const { accessToken } = await options.client.postJwtAuth(
      { ...credentials, twoFactorToken },
      options.loginOptions ?? {},
    );
    const stated = statedLifetimeMs(accessToken);
    const usableMs = Math.min(lifetimeMs, stated ?? lifetimeMs);
    const expiresAt = sentAt + usableMs;
    // `iat`/`exp` are whole seconds (the server rounds down), so the token may end up to 1 s before
    // `expiresAt`: the hard limit keeps that second in reserve, beyond minValidityMs.
    cached = {
      token: accessToken,
      renewAt: expiresAt - renewBeforeMs,
      retireAt: Math.max(expiresAt - renewBeforeMs, expiresAt - minValidityMs - 1_000),
    };
    return accessToken;
  }

  function getToken({ signal }: GetTokenOptions = {}): Promise<string> {
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    const now = clock.now();
    if (cached !== undefined && now < cached.renewAt) return Promise.resolve(cached.token);
    if (inFlight === undefined) {
      const attempt = login()
        .catch((error: unknown) => {
          // A failed renewal also retires the old token: callers see the failure, not a stale token.
          cached = undefined;
          throw error;
        })
        .finally(() => {
          if (inFlight === attempt) inFlight = undefined;
        });
      // A renewal nobody waits for must not become an unhandled rejection; waiters still see it fail.
      attempt.catch(ignore);
      inFlight = attempt;
    }
    // The renewal is shared; meanwhile the current token still serves while it has minValidityMs left.
    if (cached !== undefined && now < cached.retireAt) return Promise.resolve(cached.token);
    cached = undefined;
    return abortable(inFlight, signal);
  }

  function invalidate(token?: string): void {
    if (token === undefined || cached?.token === token) cached = undefined;
  }

  function middleware({
    format = 'rfc6750',
    retryOnUnauthorized = true,
  }: AuthorizationMiddlewareOptions = {}): Middleware {
    const prefix = format === 'source-colon' ? 'Bearer: ' : 'Bearer ';
    /** Per request: the token sent, and an untouched copy to replay after a 401. */
    const pending = new WeakMap<Request, { token: string; replay: Request | undefined }>();
    const isLogin = (schemaPath: string) => schemaPath === '/auth/jwt';
    return {
      async onRequest({ request, schemaPath }) {
        if (isLogin(schemaPath)) return undefined;
        const token = await getToken({ signal: request.signal });
        const replay = retryOnUnauthorized ? request.clone() : undefined;
        request.headers.set('Authorization', prefix + token);
        pending.set(request, { token, replay });
        return request;
      },
      async onResponse({ request, response, options: clientOptions }) {
        const sent = pending.get(request);
        pending.delete(request);
        if (sent === undefined || response.status !== 401 || sent.replay === undefined) return undefined;
        invalidate(sent.token);
        const token = await getToken({ signal: sent.replay.signal });
        if (token === sent.token) return undefined;
        // Replay once with the renewed token; the answer is final, even another 401.
        sent.replay.headers.set('Authorization', prefix + token);
        await response.body?.cancel();
        return clientOptions.fetch(sent.replay);
      },
    };
  }

  return {
    getToken,
    invalidate,
    middleware,
    get loginCount() {
      return loginCount;
    },
  };
}
