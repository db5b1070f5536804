// Client secrets: with sentinel password, API key, 2FA code and token values, every kind of error the
// SDK raises (input, HTTP, protocol, transport), directly and through a token session and its
// middleware, against loopback servers that echo what they were sent (the form, decoded values, the
// Authorization header) into bodies, status texts and headers. No sentinel may show in any rendering
// of an error (message, String, JSON, inspect, stack) nor in anything written to the console.
import { inspect } from 'node:util';
import {
  AuthError,
  AuthHttpError,
  AuthInputError,
  AuthProtocolError,
  AuthTransportError,
  createAuthApi,
  createAuthClient,
  createTokenSession,
  type LoginInput,
  type SessionClock,
  type TokenSession,
} from '@lumminary/auth-sdk';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { recordCases, recordFigure } from './figures/record.js';
import {
  closedPort,
  type FaultHandler,
  type FaultServer,
  type ReceivedRequest,
  respond,
  responseHead,
  startFaultServer,
  trackUnhandled,
  writeAll,
} from './support/client-loopback.js';

const family = 'secrets (client)';

/** The marker every sentinel but the 2FA code carries: found anywhere, something leaked. */
const marker = 'SENTINEL';
/** A password that needs every echo form: quotes, backslash, form syntax, percent, non-ASCII, emoji. */
const password = `${marker}-pw "7Qx" \\ & = + % é 😀 /end`;
const apiKey = `lk_live_${marker}_key_9Vb7TzR4pN8sB3wY6cD1fH5jK0aLe`;
const twoFactorCode = '48151623';
const token = [
  Buffer.from('{"alg":"ES256","typ":"JWT"}').toString('base64url'),
  Buffer.from('{"sub":"ada@example.org"}').toString('base64url'),
  `${marker}-token-sig-Xq9wLm4`,
].join('.');
const secrets = [password, apiKey, twoFactorCode, token];

const user = { username: 'ada@example.org', password, role: 'role_product' } as const satisfies LoginInput;
const product = { username: '0b6f1d3e-7a52-4c8e-9f14-6d2a8b3c5e70', password: apiKey, role: 'role_product' } as const;

/** Every form a secret may be echoed in: as is, form-encoded, URI-encoded, JSON-escaped. */
function forms(secret: string): string[] {
  return [
    secret,
    new URLSearchParams([['', secret]]).toString().slice(1),
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
  ];
}

/** The sentinels (or the marker) found in `text`. */
function leaks(text: string): string[] {
  const found = secrets.flatMap(forms).filter((form) => text.includes(form));
  return text.includes(marker) ? [...found, marker] : found;
}

/** Every way an error is commonly turned into text: what a logger or a crash report would show. */
function renderings(error: unknown): Record<string, string> {
  const value = error as Error;
  return {
    message: String(value.message),
    string: String(error),
    json: JSON.stringify(error) ?? '',
    inspect: inspect(error, { depth: Number.POSITIVE_INFINITY }),
    inspectHidden: inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    stack: String(value.stack),
  };
}

/** `inspect` of an error, without stack frames and with ports made stable: the "snapshot" of an error. */
function rendered(error: unknown): string {
  return inspect(error, { depth: Number.POSITIVE_INFINITY })
    .replace(/(?:\n {4}at [^\n]*)+/gu, (frames) => (frames.endsWith(' {') ? ' {' : ''))
    .replace(/127\.0\.0\.1:\d+/gu, '127.0.0.1:PORT');
}

const consoleMethods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
const consoleSpies: MockInstance[] = [];
const logged: string[] = [];
let warningSpy: MockInstance | undefined;
const unhandled = trackUnhandled();
let tried = 0;
let failures = 0;
let renderingsChecked = 0;

beforeAll(() => {
  for (const method of consoleMethods) {
    consoleSpies.push(
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: 10 }))).join(' '));
      }),
    );
  }
  warningSpy = vi.spyOn(process, 'emitWarning').mockImplementation((warning: string | Error) => {
    logged.push(typeof warning === 'string' ? warning : inspect(warning));
  });
});

afterAll(() => {
  for (const spy of consoleSpies) spy.mockRestore();
  warningSpy?.mockRestore();
  unhandled.stop();
  recordCases(family, tried, failures);
  recordFigure(family, 'error renderings checked', renderingsChecked);
  recordFigure(family, 'console lines written during the suite', logged.length);
  // Checked after the spies are gone, so that a failure here is printed.
  expect(logged.flatMap(leaks)).toEqual([]);
  expect(unhandled.reasons).toEqual([]);
});

/** Checks that no rendering of `error` holds a sentinel; returns the stable rendering. */
function expectNoSentinel(error: unknown): string {
  expect(error).toBeInstanceOf(AuthError);
  for (const [kind, text] of Object.entries(renderings(error))) {
    expect(leaks(text), `${kind} of ${(error as Error).name}`).toEqual([]);
    renderingsChecked++;
  }
  return rendered(error);
}

/** Runs one scenario, counted; no unhandled rejection may appear meanwhile. */
async function scenario(body: () => Promise<void>): Promise<void> {
  tried++;
  const unhandledBefore = unhandled.reasons.length;
  try {
    await body();
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled.reasons.slice(unhandledBefore)).toEqual([]);
  } catch (error) {
    failures++;
    throw error;
  }
}

/** The rejection of `promise` (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** The form fields of a received login, whichever its encoding. */
async function fieldsOf(request: ReceivedRequest): Promise<Record<string, string>> {
  const parsed = await new Request('http://127.0.0.1/', {
    method: 'POST',
    headers: { 'content-type': request.headers['content-type'] ?? '' },
    body: new Uint8Array(request.body),
  }).formData();
  return Object.fromEntries([...parsed.entries()].map(([name, value]) => [name, String(value)]));
}

/** What an echoing server repeats: the raw body, each decoded field and the Authorization header. */
async function echoOf(request: ReceivedRequest) {
  const fields = await fieldsOf(request);
  const raw = request.body.toString('utf8');
  const authorization = request.headers.authorization ?? '';
  const values = [fields.password ?? '', fields['2FA-token'] ?? '', authorization].join(' | ');
  // A status line cannot hold a line break: the raw body goes there only when it has none (form encoding).
  const reasonEcho = /[\r\n]/u.test(raw) ? values : `${values} | ${raw}`;
  return { fields, raw, authorization, values, reasonEcho };
}

type EchoShape = 'spec-json' | 'other-json' | 'html';

/** A server that answers `status` and echoes the login everywhere it can: body, status text, headers. */
function echoing(status: number, reason: string, shape: EchoShape, headers: Record<string, string> = {}): FaultHandler {
  return (socket, request) => {
    void echoOf(request).then(({ fields, raw, authorization, values, reasonEcho }) => {
      const code = status === 429 ? 'too_many_requests' : 'invalid_credentials';
      const body =
        shape === 'spec-json'
          ? JSON.stringify({
              code,
              message: `Refused ${values}; you sent ${raw}`,
              errors: { password: `${fields.password} is wrong`, [fields.password ?? '']: 'echoed key', raw },
            })
          : shape === 'other-json'
            ? JSON.stringify({ detail: `Refused ${values}`, received: { ...fields, authorization }, raw })
            : `<html><body><p>Refused ${values}</p><pre>${raw}</pre></body></html>`;
      respond(socket, status, `${reason} ${reasonEcho}`, body, {
        'Content-Type': shape === 'html' ? 'text/html' : 'application/json',
        'WWW-Authenticate': `Bearer realm="echo", password="${fields.password}", token="${authorization}"`,
        'X-Echo': raw.replace(/[\r\n]/gu, ' '),
        ...headers,
      });
    });
  };
}

let server: FaultServer;
afterAll(async () => {
  await server?.close();
});
beforeAll(async () => {
  server = await startFaultServer(() => {});
});

/** A client of the shared echo server, which answers with `handler` from now on. */
function clientAnswering(handler: FaultHandler, options: { maxResponseBytes?: number; timeoutMs?: number } = {}) {
  server.handler = handler;
  return createAuthClient({ baseUrl: server.url, timeoutMs: options.timeoutMs ?? 5_000, ...options });
}

describe('the sentinels are detected (the detector itself can fail)', () => {
  it('finds each sentinel in each echo form, and the marker in a fragment', () => {
    for (const form of secrets.flatMap(forms)) expect(leaks(`before ${form} after`)).not.toEqual([]);
    expect(leaks(`...${password.slice(0, 12)}`)).toEqual([marker]);
    expect(leaks('nothing to see: [REDACTED]')).toEqual([]);
  });
});

describe('input errors never quote the value', () => {
  const inputs: [string, LoginInput, string][] = [
    ['password too long', { ...user, password: `${password} ${'x'.repeat(1024)}` }, 'password'],
    ['password with an unpaired surrogate', { ...user, password: `${password}\uD800` }, 'password'],
    ['2FA code not digits', { ...user, twoFactorToken: `${twoFactorCode}-${marker}` }, 'twoFactorToken'],
    ['2FA code too long', { ...user, twoFactorToken: `${twoFactorCode}${twoFactorCode}` }, 'twoFactorToken'],
    ['API key as username, empty password', { ...product, username: apiKey, password: '' }, 'password'],
    ['X-Fields mask holding the password', { ...user, fields: password }, 'fields'],
    ['role holding the API key', { ...product, role: apiKey }, 'role'],
  ];

  it.each(inputs)('%s', (_name, input, field) =>
    scenario(async () => {
      const client = createAuthClient({ baseUrl: server.url });
      const before = server.requests().length;
      const error = await rejection(client.postJwtAuth(input));
      expect(error).toBeInstanceOf(AuthInputError);
      expect((error as AuthInputError).field).toBe(field);
      expectNoSentinel(error);
      expect(server.requests().length).toBe(before);
    }),
  );

  it('multipart: a bare line break in the password', () =>
    scenario(async () => {
      const client = createAuthClient({ baseUrl: server.url });
      const error = await rejection(
        client.postJwtAuth({ ...user, password: `${password}\n` }, { encoding: 'multipart' }),
      );
      expect(error).toBeInstanceOf(AuthInputError);
      expect(expectNoSentinel(error)).toContain(
        "has a bare CR/LF or leading U+FEFF, which multipart changes; use encoding 'form'",
      );
    }));

  it('a session whose 2FA source returns something that is not a code', () =>
    scenario(async () => {
      const session = createTokenSession({
        client: createAuthClient({ baseUrl: server.url }),
        credentials: user,
        twoFactorCode: () => `${marker}-${twoFactorCode}`,
      });
      const error = await rejection(session.getToken());
      expect(error).toBeInstanceOf(AuthInputError);
      expectNoSentinel(error);
    }));
});

describe('HTTP errors from servers that echo the login', () => {
  const echoes: [string, FaultHandler, number][] = [
    ['401, spec JSON error echoing everything', echoing(401, 'Unauthorized', 'spec-json'), 401],
    ['401, other JSON echoing everything', echoing(401, 'Unauthorized', 'other-json'), 401],
    ['401, HTML page echoing everything', echoing(401, 'Unauthorized', 'html'), 401],
    ['429, spec JSON with Retry-After', echoing(429, 'Too Many Requests', 'spec-json', { 'Retry-After': '30' }), 429],
    ['429, HTML with Retry-After', echoing(429, 'Too Many Requests', 'html', { 'Retry-After': '30' }), 429],
    ['400, other JSON', echoing(400, 'Bad Request', 'other-json'), 400],
    ['502, HTML from a proxy', echoing(502, 'Bad Gateway', 'html'), 502],
  ];

  for (const encoding of ['form', 'multipart'] as const) {
    it.each(echoes)(`${encoding}: %s`, (_name, handler, status) =>
      scenario(async () => {
        const client = clientAnswering(handler);
        for (const input of [{ ...user, twoFactorToken: twoFactorCode }, product]) {
          const error = await rejection(client.postJwtAuth(input, { encoding }));
          expect(error).toBeInstanceOf(AuthHttpError);
          expect((error as AuthHttpError).status).toBe(status);
          // The echo arrived and was redacted, not dropped: the test would see a leak.
          expect(expectNoSentinel(error)).toContain('[REDACTED]');
        }
      }),
    );
  }

  it('the stable rendering of a redacted 401 (snapshot-style)', () =>
    scenario(async () => {
      const client = clientAnswering((socket) =>
        respond(
          socket,
          401,
          `Unauthorized ${password}`,
          JSON.stringify({ code: 'invalid_two_factor_token', message: `Code ${twoFactorCode} was used` }),
          { 'Content-Type': 'application/json' },
        ),
      );
      const error = await rejection(client.postJwtAuth({ ...user, twoFactorToken: twoFactorCode }));
      expect(expectNoSentinel(error)).toBe(
        [
          'AuthHttpError: Login failed with HTTP 401: invalid_two_factor_token: Code [REDACTED] was used {',
          '  status: 401,',
          "  code: 'invalid_two_factor_token',",
          '  body: {',
          "    code: 'invalid_two_factor_token',",
          "    message: 'Code [REDACTED] was used'",
          '  },',
          '  rawBody: undefined,',
          '  retryAfterSeconds: undefined',
          '}',
        ].join('\n'),
      );
    }));

  it('a 401 body cut by maxResponseBytes inside the password keeps no start of it (every cut point)', () =>
    scenario(async () => {
      const echoed = forms(password);
      for (const form of echoed) {
        for (let kept = 1; kept < form.length; kept++) {
          const maxResponseBytes = 200;
          // The body is cut after `kept` characters of the echoed password (ASCII padding before it).
          const prefixBytes = Buffer.byteLength(form.slice(0, kept));
          const client = clientAnswering(
            (socket) =>
              respond(socket, 401, 'Unauthorized', `${'x'.repeat(maxResponseBytes - prefixBytes)}${form} and more`, {
                'Content-Type': 'text/plain',
              }),
            { maxResponseBytes },
          );
          const error = await rejection(client.postJwtAuth(user));
          expect(error).toBeInstanceOf(AuthHttpError);
          const rawBody = (error as AuthHttpError).rawBody ?? '';
          for (let length = 1; length < form.length; length++) {
            expect(rawBody.endsWith(form.slice(0, length)), `cut after ${kept}: ends with ${length} chars`).toBe(false);
          }
          expectNoSentinel(error);
        }
      }
    }));

  it('a 502 repeating a long API key past the default 64 KiB limit keeps no start of it', () =>
    scenario(async () => {
      const longKey = `${apiKey}${'k'.repeat(150)}`;
      // 65 536 is not a multiple of its length: the cut falls inside a copy, and redaction shrinks the rest.
      expect(65_536 % longKey.length).toBeGreaterThan(0);
      const client = clientAnswering((socket) =>
        respond(socket, 502, 'Bad Gateway', longKey.repeat(Math.ceil(70_000 / longKey.length)), {
          'Content-Type': 'text/plain',
        }),
      );
      const error = await rejection(client.postJwtAuth({ ...product, password: longKey }));
      expect(error).toBeInstanceOf(AuthHttpError);
      const rawBody = (error as AuthHttpError).rawBody ?? '';
      expect(rawBody).toMatch(/^(?:\[REDACTED\])+/u);
      for (let length = 1; length < longKey.length; length++) {
        expect(rawBody.endsWith(longKey.slice(0, length)), `ends with ${length} chars of the key`).toBe(false);
      }
      expectNoSentinel(error);
    }));

  it('a redirect whose Location and body carry the password', () =>
    scenario(async () => {
      const client = clientAnswering((socket, request) =>
        respond(socket, 307, `Temporary Redirect ${password}`, request.body, {
          Location: `http://127.0.0.1:1/${encodeURIComponent(password)}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        }),
      );
      const error = await rejection(client.postJwtAuth(user));
      expect(error).toBeInstanceOf(AuthHttpError);
      expect(expectNoSentinel(error)).toContain('[REDACTED]');
    }));
});

describe('protocol errors with the token in a broken body', () => {
  const broken: [string, string, number?][] = [
    ['JSON cut inside the token', `{"access_token":"${token}`],
    ['access_token not a string, token elsewhere', JSON.stringify({ access_token: 42, jwt: token, password })],
    ['a JSON string holding the token', JSON.stringify(token)],
    ['an array holding the token', JSON.stringify([{ access_token: token }])],
    ['HTML holding the token and the password', `<p>token ${token} for ${password}</p>`],
    ['a token body larger than maxResponseBytes', JSON.stringify({ access_token: `${token}${'a'.repeat(300)}` }), 200],
  ];

  it.each(broken)('%s', (_name, body, maxResponseBytes) =>
    scenario(async () => {
      const client = clientAnswering(
        (socket) => respond(socket, 200, `OK ${token}`, body, { 'Content-Type': 'application/json' }),
        maxResponseBytes === undefined ? {} : { maxResponseBytes },
      );
      const error = await rejection(client.postJwtAuth(user));
      expect(error).toBeInstanceOf(AuthProtocolError);
      expectNoSentinel(error);
    }),
  );
});

describe('transport errors with the token in flight', () => {
  it('reset after part of a body holding the token', () =>
    scenario(async () => {
      const client = clientAnswering((socket) => {
        writeAll(socket, responseHead(200, 'OK', { 'Content-Type': 'application/json', 'Content-Length': 4096 }));
        writeAll(socket, `{"access_token":"${token}`);
        setTimeout(() => socket.resetAndDestroy(), 20);
      });
      const error = await rejection(client.postJwtAuth(user));
      expect(error).toBeInstanceOf(AuthTransportError);
      expect((error as AuthTransportError).reason).toBe('network');
      expect(expectNoSentinel(error)).toContain('[cause]');
    }));

  it('timeout while a body holding the token trickles in', () =>
    scenario(async () => {
      const client = clientAnswering(
        (socket) => {
          writeAll(socket, responseHead(200, 'OK', { 'Content-Type': 'application/json', 'Content-Length': 4096 }));
          writeAll(socket, `{"access_token":"${token}`);
        },
        { timeoutMs: 200 },
      );
      const error = await rejection(client.postJwtAuth(user));
      expect(error).toBeInstanceOf(AuthTransportError);
      expect((error as AuthTransportError).reason).toBe('timeout');
      expectNoSentinel(error);
    }));

  it('connection refused', () =>
    scenario(async () => {
      const client = createAuthClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
      const error = await rejection(client.postJwtAuth({ ...user, twoFactorToken: twoFactorCode }));
      expect(error).toBeInstanceOf(AuthTransportError);
      expect(expectNoSentinel(error)).toMatch(/Could not reach http:\/\/127\.0\.0\.1:PORT/u);
    }));

  it('aborted by the caller', () =>
    scenario(async () => {
      const client = clientAnswering(() => {});
      const controller = new AbortController();
      const pending = rejection(client.postJwtAuth(product, { signal: controller.signal }));
      setTimeout(() => controller.abort(), 50);
      const error = await pending;
      expect(error).toBeInstanceOf(AuthTransportError);
      expect((error as AuthTransportError).reason).toBe('aborted');
      expectNoSentinel(error);
    }));
});

describe('through a token session and its middleware', () => {
  /** A clock whose sleeps pass instantly. */
  function virtualClock(): SessionClock {
    let now = Date.now();
    return {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    };
  }

  it('getToken: an echoed 401 for the API key (credentials from a callback), then for a 2FA login', () =>
    scenario(async () => {
      const client = clientAnswering(echoing(401, 'Unauthorized', 'spec-json'));
      const productSession = createTokenSession({ client, credentials: async () => product });
      const twoFactorSession = createTokenSession({
        client,
        credentials: user,
        twoFactorCode: () => twoFactorCode,
        loginOptions: { encoding: 'multipart' },
      });
      for (const session of [productSession, twoFactorSession]) {
        const error = await rejection(session.getToken());
        expect(error).toBeInstanceOf(AuthHttpError);
        expect(expectNoSentinel(error)).toContain('[REDACTED]');
      }
    }));

  it('getToken: a 2FA code already used, and no fresh one within the wait', () =>
    scenario(async () => {
      const client = clientAnswering((socket) =>
        respond(socket, 200, 'OK', JSON.stringify({ access_token: token }), { 'Content-Type': 'application/json' }),
      );
      const session = createTokenSession({
        client,
        credentials: user,
        twoFactorCode: () => twoFactorCode,
        maxTwoFactorWaitMs: 0,
        clock: virtualClock(),
      });
      expect(await session.getToken()).toBe(token);
      session.invalidate();
      const error = await rejection(session.getToken());
      expect(error).toBeInstanceOf(AuthError);
      expect(expectNoSentinel(error)).toContain('No unused 2FA code');
    }));

  /** A protected API on the same server: `/things` answers 401 echoing the Authorization header. */
  function protectedApi(login: () => FaultHandler): FaultHandler {
    return (socket, request) => {
      if (request.path === '/auth/jwt') {
        login()(socket, request);
        return;
      }
      const authorization = request.headers.authorization ?? '';
      respond(socket, 401, `Unauthorized ${authorization}`, JSON.stringify({ detail: `bad token ${authorization}` }), {
        'Content-Type': 'application/json',
        'WWW-Authenticate': `Bearer error="invalid_token", token="${authorization}"`,
      });
    };
  }

  function thingsClient(session: TokenSession) {
    const api = createAuthApi({ baseUrl: server.url });
    api.use(session.middleware());
    // `/things` is not in the auth API's paths: a user's own protected API, called untyped.
    return api as unknown as { GET(path: string): Promise<{ response: Response }> };
  }

  it('middleware: the token is refused (echoed back), the renewal gets an echoed 429', () =>
    scenario(async () => {
      let logins = 0;
      const issue: FaultHandler = (socket) =>
        respond(socket, 200, 'OK', JSON.stringify({ access_token: token }), { 'Content-Type': 'application/json' });
      const refuse = echoing(429, 'Too Many Requests', 'html', { 'Retry-After': '60' });
      server.handler = protectedApi(() => (logins++ === 0 ? issue : refuse));
      const session = createTokenSession({
        client: createAuthClient({ baseUrl: server.url }),
        credentials: async () => product,
      });
      const error = await rejection(thingsClient(session).GET('/things'));
      expect(logins).toBe(2);
      expect(error).toBeInstanceOf(AuthHttpError);
      expect((error as AuthHttpError).status).toBe(429);
      expect(expectNoSentinel(error)).toContain('[REDACTED]');
    }));

  it('middleware: the first login of a request fails with an echoed 401', () =>
    scenario(async () => {
      server.handler = protectedApi(() => echoing(401, 'Unauthorized', 'other-json'));
      const session = createTokenSession({
        client: createAuthClient({ baseUrl: server.url }),
        credentials: user,
        twoFactorCode: () => twoFactorCode,
      });
      const error = await rejection(thingsClient(session).GET('/things'));
      expect(error).toBeInstanceOf(AuthHttpError);
      expect(expectNoSentinel(error)).toContain('[REDACTED]');
    }));

  it('middleware: the request is aborted while its login hangs', () =>
    scenario(async () => {
      server.handler = protectedApi(() => () => {});
      const session = createTokenSession({
        client: createAuthClient({ baseUrl: server.url, timeoutMs: 300 }),
        credentials: async () => product,
      });
      const api = createAuthApi({ baseUrl: server.url });
      api.use(session.middleware());
      const controller = new AbortController();
      const untyped = api as unknown as { GET(path: string, init: { signal: AbortSignal }): Promise<unknown> };
      const pending = rejection(untyped.GET('/things', { signal: controller.signal }));
      setTimeout(() => controller.abort(), 50);
      const error = await pending;
      expect(error).toBeInstanceOf(AuthTransportError);
      expect((error as AuthTransportError).reason).toBe('aborted');
      expectNoSentinel(error);
      // The shared login still ends (in its timeout), with an error that is clean too.
      const shared = await rejection(session.getToken());
      expect(shared).toBeInstanceOf(AuthTransportError);
      expectNoSentinel(shared);
    }));
});
