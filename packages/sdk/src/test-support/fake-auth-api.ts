// Test support only: an in-process fake of the Lumminary auth endpoint and of a protected API,
// served through an injected `fetch` (no sockets), on a virtual clock.
import { createHmac } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { ErrorCode } from '../errors.js';
import type { SessionClock } from '../session.js';

// ---------------------------------------------------------------------------------------------
// Virtual clock
// ---------------------------------------------------------------------------------------------

/** A `SessionClock` whose time only moves when a test (or a `sleep`) moves it. */
export interface VirtualClock extends SessionClock {
  /** Moves the time forward by `ms`. */
  advance(ms: number): void;
  /** Every `sleep` duration asked for, in order. */
  readonly sleeps: readonly number[];
}

/** 2030-01-01T00:00:00Z: a whole number of 30 s TOTP steps since the epoch. */
export const stepAlignedStart = Date.UTC(2030, 0, 1);

/** More sleeps than any test needs: a loop that gets here would never end, so sleep fails instead. */
const maxSleeps = 10_000;

/**
 * `sleep` moves the time at once, then resolves on the next macrotask, so that a runaway sleep loop
 * cannot starve the event loop (vitest's timeouts still fire), and fails after `maxSleeps` sleeps.
 */
export function createVirtualClock(start: number = stepAlignedStart): VirtualClock {
  let time = start;
  const sleeps: number[] = [];
  return {
    now: () => time,
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (!(ms >= 0)) return Promise.reject(new RangeError(`sleep(${ms})`));
      if (sleeps.length >= maxSleeps) return Promise.reject(new Error(`virtual clock: more than ${maxSleeps} sleeps`));
      sleeps.push(ms);
      time += ms;
      return new Promise<void>((resolve) => setImmediate(resolve));
    },
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`advance(${ms})`);
      time += ms;
    },
    sleeps,
  };
}

// ---------------------------------------------------------------------------------------------
// TOTP as the fake server checks it: RFC 6238, SHA1, 6 digits, 30 s, window ±1
// ---------------------------------------------------------------------------------------------

export const totpPeriodSeconds = 30;
const totpPeriodMs = totpPeriodSeconds * 1000;

function serverTotp(base32Secret: string): TOTP {
  return new TOTP({ secret: Secret.fromBase32(base32Secret), algorithm: 'SHA1', digits: 6, period: totpPeriodSeconds });
}

/** The 6-digit code of `base32Secret` at `timestamp` (ms), as an authenticator app shows it. */
export function totpCodeAt(base32Secret: string, timestamp: number): string {
  return serverTotp(base32Secret).generate({ timestamp });
}

/** The TOTP step (counter) that `timestamp` (ms) falls in. */
export function totpStep(timestamp: number): number {
  return Math.floor(timestamp / totpPeriodMs);
}

// ---------------------------------------------------------------------------------------------
// The fake API
// ---------------------------------------------------------------------------------------------

export interface FakeAccount {
  username: string;
  password: string;
  /** A base32 TOTP secret: the account has 2FA enabled. */
  totpSecret?: string | undefined;
}

/** How the protected API expects the token in `Authorization`. */
export type FakeAuthorizationFormat = 'rfc6750' | 'source-colon';

export interface FakeAuthApiOptions {
  clock: SessionClock;
  accounts: readonly FakeAccount[];
  /** Default `https://api.test/v1`. */
  baseUrl?: string | undefined;
  /** `rfc6750` (`Bearer <t>`, the default) or `source-colon` (`Bearer: <t>`); the other form is refused. */
  authorizationFormat?: FakeAuthorizationFormat | undefined;
  /** `exp - iat` of issued tokens, in seconds, and how long they are accepted. Default 30 (the API's). */
  tokenLifetimeSeconds?: number | undefined;
  /** Behave like a careless server that quotes the submitted password and 2FA code in its error messages. */
  echoSecretsInErrors?: boolean | undefined;
}

export interface LoginRecord {
  /** Virtual time the login was received. */
  at: number;
  contentType: string | null;
  /** The `Authorization` header of the login request itself (should always be null). */
  authorization: string | null;
  username: string | null;
  twoFactorToken: string | null;
  status: number;
  code: ErrorCode | undefined;
  /** The token issued, on success. */
  token: string | undefined;
}

export interface CodeSubmission {
  at: number;
  username: string;
  code: string;
  /** The TOTP step the code matched, when it matched one within the window. */
  matchedStep: number | undefined;
  accepted: boolean;
}

export interface IssuedToken {
  token: string;
  sub: string;
  iat: number;
  exp: number;
  jti: string;
  /** Virtual time of issue, in ms. */
  issuedAt: number;
}

export interface ProtectedRecord {
  at: number;
  method: string;
  path: string;
  authorization: string | null;
  /** The token parsed from `Authorization` (in the configured format), if any. */
  token: string | undefined;
  /** The token was issued by this fake and its `exp` had passed when it was received. */
  expired: boolean;
  /** The request body, parsed as JSON when there is one. */
  body: unknown;
  status: number;
}

export interface FakeAuthApi {
  /** The injected fetch: serves `POST /auth/jwt` and `GET`/`POST /things`. */
  fetch: (request: Request) => Promise<Response>;
  baseUrl: string;
  /** Changeable between logins (affects tokens issued afterwards). */
  tokenLifetimeSeconds: number;
  /** Every `POST /auth/jwt` received, in order. */
  readonly logins: readonly LoginRecord[];
  /** How many `POST /auth/jwt` requests were received. */
  readonly loginCount: number;
  /** Every 2FA code submitted (accepted or not), in order. */
  readonly codeSubmissions: readonly CodeSubmission[];
  /** Codes that were submitted more than once. */
  duplicateCodes(): string[];
  readonly issued: readonly IssuedToken[];
  /** Every protected request received, with the token it carried and when. */
  readonly protectedRequests: readonly ProtectedRecord[];
  /** Protected requests answered 401. */
  readonly unauthorizedCount: number;
  /** Protected requests that carried one of our tokens after its expiry. */
  expiredTokenUses(): ProtectedRecord[];
  /** Makes `token` unknown from now on (protected requests carrying it get 401). */
  revoke(token: string): void;
  /** Answers 401 to the next `n` protected requests, whatever token they carry. */
  failNextProtected(n: number): void;
  /** Holds every login response until the returned function is called. */
  holdLogins(): () => void;
}

const jsonHeaders = { 'Content-Type': 'application/json' };
const signingKey = 'fake-auth-api-signing-key';

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function errorResponse(status: number, code: ErrorCode, message: string): Response {
  return new Response(JSON.stringify({ code, message }), { status, headers: jsonHeaders });
}

function unauthorized(reason: string): Response {
  return new Response(JSON.stringify({ message: reason }), {
    status: 401,
    headers: { ...jsonHeaders, 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${reason}"` },
  });
}

export function createFakeAuthApi(options: FakeAuthApiOptions): FakeAuthApi {
  const { clock } = options;
  const baseUrl = (options.baseUrl ?? 'https://api.test/v1').replace(/\/+$/u, '');
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/u, '');
  const format = options.authorizationFormat ?? 'rfc6750';
  const tokenPattern = format === 'rfc6750' ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/u : /^Bearer: (\S+)$/u;
  const accounts = new Map(options.accounts.map((account) => [account.username, account]));
  const echo = options.echoSecretsInErrors ?? false;

  const logins: LoginRecord[] = [];
  const codeSubmissions: CodeSubmission[] = [];
  const issued: IssuedToken[] = [];
  const tokens = new Map<string, IssuedToken>();
  const revoked = new Set<string>();
  const protectedRequests: ProtectedRecord[] = [];
  /** Per account, the TOTP steps a code was already accepted for. */
  const acceptedSteps = new Map<string, Set<number>>();
  let forcedFailures = 0;
  let jtiCounter = 0;
  let loginGate: Promise<void> | undefined;

  const api: FakeAuthApi = {
    fetch,
    baseUrl,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 30,
    logins,
    get loginCount() {
      return logins.length;
    },
    codeSubmissions,
    duplicateCodes() {
      const seen = new Set<string>();
      const duplicates = new Set<string>();
      for (const { code } of codeSubmissions) (seen.has(code) ? duplicates : seen).add(code);
      return [...duplicates];
    },
    issued,
    protectedRequests,
    get unauthorizedCount() {
      return protectedRequests.filter((record) => record.status === 401).length;
    },
    expiredTokenUses() {
      return protectedRequests.filter((record) => record.expired);
    },
    revoke(token) {
      revoked.add(token);
    },
    failNextProtected(n) {
      forcedFailures = n;
    },
    holdLogins() {
      let release!: () => void;
      loginGate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        loginGate = undefined;
        release();
      };
    },
  };

  function issue(username: string): IssuedToken {
    const now = clock.now();
    const iat = Math.floor(now / 1000);
    const exp = iat + api.tokenLifetimeSeconds;
    const jti = `jti-${++jtiCounter}`;
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = base64url(JSON.stringify({ sub: username, role: 'role_product', iat, exp, jti }));
    const signature = createHmac('sha256', signingKey).update(`${header}.${payload}`).digest('base64url');
    const record: IssuedToken = {
      token: `${header}.${payload}.${signature}`,
      sub: username,
      iat,
      exp,
      jti,
      issuedAt: now,
    };
    issued.push(record);
    tokens.set(record.token, record);
    return record;
  }

  async function readForm(request: Request): Promise<URLSearchParams | undefined> {
    const type = request.headers.get('content-type') ?? '';
    if (type.startsWith('application/x-www-form-urlencoded')) return new URLSearchParams(await request.text());
    if (type.startsWith('multipart/form-data')) {
      const form = await request.formData();
      const params = new URLSearchParams();
      for (const [name, value] of form) if (typeof value === 'string') params.append(name, value);
      return params;
    }
    return undefined;
  }

  async function login(request: Request): Promise<Response> {
    const at = clock.now();
    const record: LoginRecord = {
      at,
      contentType: request.headers.get('content-type'),
      authorization: request.headers.get('authorization'),
      username: null,
      twoFactorToken: null,
      status: 0,
      code: undefined,
      token: undefined,
    };
    logins.push(record);
    const answer = (response: Response, code?: ErrorCode): Response => {
      record.status = response.status;
      record.code = code;
      return response;
    };
    if (request.method !== 'POST') return answer(new Response(null, { status: 405 }));
    const form = await readForm(request);
    if (form === undefined)
      return answer(errorResponse(415, 'unsupported_media_type', 'Unsupported body'), 'unsupported_media_type');
    const username = form.get('username');
    const password = form.get('password');
    const role = form.get('role');
    const code = form.get('2FA-token');
    record.username = username;
    record.twoFactorToken = code;
    if (!username || !password || !role) {
      return answer(
        errorResponse(400, 'invalid_request', 'username, password and role are required'),
        'invalid_request',
      );
    }
    const account = accounts.get(username);
    let submission: CodeSubmission | undefined;
    if (code !== null) {
      submission = { at, username, code, matchedStep: undefined, accepted: false };
      codeSubmissions.push(submission);
    }
    if (account === undefined || account.password !== password) {
      const message = echo
        ? `No account ${username} with password ${password}`
        : 'The username, password or role is not valid.';
      return answer(errorResponse(401, 'invalid_credentials', message), 'invalid_credentials');
    }
    if (account.totpSecret !== undefined) {
      const rejectCode = (why: string) =>
        answer(
          errorResponse(
            401,
            'invalid_two_factor_token',
            echo ? `2FA token ${code ?? ''} ${why} (password ${password})` : `The 2FA token ${why}.`,
          ),
          'invalid_two_factor_token',
        );
      if (code === null || submission === undefined) return rejectCode('is required');
      const delta = serverTotp(account.totpSecret).validate({ token: code, timestamp: at, window: 1 });
      if (delta === null) return rejectCode('is not valid now');
      const step = totpStep(at) + delta;
      submission.matchedStep = step;
      const used = acceptedSteps.get(username) ?? new Set<number>();
      acceptedSteps.set(username, used);
      if (used.has(step)) return rejectCode('was already used');
      used.add(step);
      submission.accepted = true;
    }
    const token = issue(username);
    record.token = token.token;
    if (loginGate !== undefined) await loginGate;
    return answer(Response.json({ access_token: token.token }));
  }

  async function things(request: Request): Promise<Response> {
    const at = clock.now();
    const authorization = request.headers.get('authorization');
    const token = authorization === null ? undefined : tokenPattern.exec(authorization)?.[1];
    const known = token === undefined ? undefined : tokens.get(token);
    const text = request.method === 'POST' ? await request.text() : '';
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    const record: ProtectedRecord = {
      at,
      method: request.method,
      path: '/things',
      authorization,
      token,
      expired: known !== undefined && at >= known.exp * 1000,
      body,
      status: 0,
    };
    protectedRequests.push(record);
    const answer = (response: Response): Response => {
      record.status = response.status;
      return response;
    };
    if (forcedFailures > 0) {
      forcedFailures--;
      return answer(unauthorized('rejected by the test'));
    }
    if (token === undefined) return answer(unauthorized('missing or malformed Authorization'));
    if (known === undefined || revoked.has(token)) return answer(unauthorized('unknown token'));
    if (record.expired) return answer(unauthorized('expired token'));
    if (request.method === 'GET') return answer(Response.json({ items: ['a', 'b'], subject: known.sub }));
    if (request.method === 'POST') {
      const name = (body as { name?: unknown } | undefined)?.name;
      if (typeof name !== 'string' || name === '')
        return answer(Response.json({ message: 'name is required' }, { status: 400 }));
      return answer(Response.json({ name, owner: known.sub }, { status: 201 }));
    }
    return answer(new Response(null, { status: 405 }));
  }

  async function fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.origin !== new URL(baseUrl).origin || !url.pathname.startsWith(`${basePath}/`)) {
      throw new TypeError(`fetch failed: no fake server at ${url.origin}${url.pathname}`);
    }
    const path = url.pathname.slice(basePath.length);
    if (path === '/auth/jwt') return login(request);
    if (path === '/things') return things(request);
    return new Response(null, { status: 404 });
  }

  return api;
}
