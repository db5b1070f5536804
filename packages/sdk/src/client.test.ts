import { getEventListeners } from 'node:events';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthApi } from './api.js';
import { type AuthClientOptions, createAuthClient, type LoginCallOptions, parseRetryAfter } from './client.js';
import {
  AuthError,
  AuthHttpError,
  AuthInputError,
  AuthProtocolError,
  AuthTransportError,
  type ErrorBody,
} from './errors.js';
import type { LoginInput } from './login-input.js';

// ---------------------------------------------------------------------------------------------
// Helpers: an injected fetch that records the Request openapi-fetch builds, and error capture.
// ---------------------------------------------------------------------------------------------

type Handler = (request: Request) => Response | Promise<Response>;

const baseUrl = 'https://auth.test/v1';
const endpoint = `${baseUrl}/auth/jwt`;

/** The spec's example JWT (components/examples/JwtIssued.yaml). */
const jwt =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZjhlMmMxYS05YjdkLTRlNWYtOGE2Yi0yYzRkNmU4ZjBhMWIiLCJyb2xlIjoicm9sZV9wcm9kdWN0IiwiaWF0IjoxNzk1ODgxNjAwLCJleHAiOjE3OTU4ODE2MzAsImp0aSI6IjBiNmYxZDNlLTdhNTItNGM4ZS05ZjE0LTZkMmE4YjNjNWU3MCJ9.YCmVMP1hJyVCUIinHKhghSoA6fQH0X1vjOHV3mUpvms';

/** The spec's product login example (components/examples/ProductLogin.yaml). */
const product = {
  username: '3f8e2c1a-9b7d-4e5f-8a6b-2c4d6e8f0a1b',
  password: 'lk_live_9Qm2Xv7TzR4pN8sB3wY6cD1fH5jK0aLe',
  role: 'role_product',
} as const satisfies LoginInput;

function fakeFetch(handler: Handler) {
  const requests: Request[] = [];
  const fetch = vi.fn<typeof globalThis.fetch>(async (input) => {
    if (!(input instanceof Request)) throw new Error('the SDK is expected to pass a Request');
    requests.push(input);
    return handler(input);
  });
  return { fetch, requests };
}

function setup(handler: Handler = () => Response.json({ access_token: jwt }), options: AuthClientOptions = {}) {
  const { fetch, requests } = fakeFetch(handler);
  const auth = createAuthClient({ baseUrl, ...options, fetch });
  return { auth, fetch, requests };
}

function only(requests: Request[]): Request {
  expect(requests).toHaveLength(1);
  const [request] = requests;
  if (request === undefined) throw new Error('no request');
  return request;
}

async function send(input: LoginInput, call?: LoginCallOptions, options?: AuthClientOptions): Promise<Request> {
  const { auth, requests } = setup(undefined, options);
  await auth.postJwtAuth(input, call);
  return only(requests);
}

/** Awaits a promise that must reject with an instance of `type`, and returns the error. */
async function rejection<T>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  let settled: unknown;
  try {
    await promise;
  } catch (error) {
    settled = error;
    expect(error).toBeInstanceOf(type);
    return error as T;
  }
  throw new Error(`expected a rejection with ${type.name}, got a fulfilment with ${inspect(settled)}`);
}

/** Every way an error is likely to be shown or logged. */
function renderings(error: unknown): string[] {
  const err = error as Error & Partial<AuthHttpError>;
  return [
    err.message,
    String(err),
    JSON.stringify(err),
    inspect(err, { depth: Infinity }),
    JSON.stringify(err.body ?? null),
    String(err.rawBody),
    String(err.stack),
  ];
}

/** The secret itself and the encodings it may be echoed or rendered in. */
function secretForms(secret: string): string[] {
  return [
    secret,
    JSON.stringify(secret).slice(1, -1),
    inspect(secret).slice(1, -1),
    encodeURIComponent(secret),
    new URLSearchParams([['', secret]]).toString().slice(1),
  ];
}

function expectNoSecret(error: unknown, secrets: readonly string[]): void {
  for (const text of renderings(error)) {
    for (const secret of secrets) {
      for (const form of secretForms(secret)) expect(text).not.toContain(form);
    }
  }
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

// ---------------------------------------------------------------------------------------------

describe('wire form (application/x-www-form-urlencoded, the default)', () => {
  it('POSTs to baseUrl + /auth/jwt with exactly the form content type', async () => {
    const request = await send(product);
    expect(request.method).toBe('POST');
    expect(request.url).toBe(endpoint);
    expect(request.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
  });

  it('sends the fields in spec order: username, password, role, 2FA-token', async () => {
    // Keys deliberately given in another order than the spec's.
    const request = await send({ twoFactorToken: '042917', role: 'role_product', password: 'pw', username: 'ada' });
    const body = await request.text();
    expect(body).toBe('username=ada&password=pw&role=role_product&2FA-token=042917');
    expect([...new URLSearchParams(body).keys()]).toEqual(['username', 'password', 'role', '2FA-token']);
  });

  it('encodes a space as + and & = + % newline and emoji as UTF-8 percent-escapes', async () => {
    const request = await send({
      username: 'ada lovelace+1@example.org',
      password: 'a b&c=d+e%f\ng😀',
      role: 'role_product',
    });
    expect(await request.text()).toBe(
      'username=ada+lovelace%2B1%40example.org&password=a+b%26c%3Dd%2Be%25f%0Ag%F0%9F%98%80&role=role_product',
    );
  });

  it('round-trips every field exactly', async () => {
    const input = {
      username: 'ü ñ 中文 &=+%',
      password: 'p\r\n\t"\'\\😀%00',
      role: 'role_x1',
      twoFactorToken: '00000000',
    };
    const request = await send(input);
    const parsed = new URLSearchParams(await request.text());
    expect(Object.fromEntries(parsed)).toEqual({
      username: input.username,
      password: input.password,
      role: input.role,
      '2FA-token': input.twoFactorToken,
    });
  });

  it('keeps leading zeros of the 2FA code', async () => {
    const request = await send({ ...product, twoFactorToken: '000123' });
    expect(new URLSearchParams(await request.text()).get('2FA-token')).toBe('000123');
  });

  it.each([
    ['absent', { ...product }],
    ['explicitly undefined', { ...product, twoFactorToken: undefined }],
  ])('omits 2FA-token when twoFactorToken is %s (never the string "undefined")', async (_, input) => {
    const body = await (await send(input)).text();
    expect(body).toBe(
      'username=3f8e2c1a-9b7d-4e5f-8a6b-2c4d6e8f0a1b&password=lk_live_9Qm2Xv7TzR4pN8sB3wY6cD1fH5jK0aLe&role=role_product',
    );
    expect(body).not.toContain('2FA');
    expect(body).not.toContain('undefined');
  });

  it('sends `fields` as the X-Fields header', async () => {
    const request = await send({ ...product, fields: '{access_token}' });
    expect(request.headers.get('x-fields')).toBe('{access_token}');
    expect(await request.text()).not.toContain('fields');
  });

  it.each([
    ['absent', { ...product }],
    ['explicitly undefined', { ...product, fields: undefined }],
  ])('sends no X-Fields header when fields is %s', async (_, input) => {
    const request = await send(input);
    expect(request.headers.has('x-fields')).toBe(false);
    expect([...request.headers.values()]).not.toContain('undefined');
  });

  it("sends the client's extra headers on every login", async () => {
    const { auth, requests } = setup(undefined, {
      headers: { 'User-Agent': 'lumminary-test/1.0', 'X-Request-Id': 'r-1' },
    });
    await auth.postJwtAuth(product);
    await auth.postJwtAuth({ ...product, fields: 'access_token' });
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      expect(request.headers.get('user-agent')).toBe('lumminary-test/1.0');
      expect(request.headers.get('x-request-id')).toBe('r-1');
      expect(request.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    }
    expect(requests[1]?.headers.get('x-fields')).toBe('access_token');
  });

  it.each([
    ['https://auth.test/v1', 'https://auth.test/v1/auth/jwt'],
    ['https://auth.test/v1/', 'https://auth.test/v1/auth/jwt'],
    ['https://auth.test/v1//', 'https://auth.test/v1/auth/jwt'],
    ['https://auth.test', 'https://auth.test/auth/jwt'],
    ['https://auth.test/', 'https://auth.test/auth/jwt'],
    ['https://auth.test:8443/api/v1/', 'https://auth.test:8443/api/v1/auth/jwt'],
    ['http://127.0.0.1:4010', 'http://127.0.0.1:4010/auth/jwt'],
    ['http://localhost:4010/v1/', 'http://localhost:4010/v1/auth/jwt'],
    ['http://[::1]:4010', 'http://[::1]:4010/auth/jwt'],
    ['  https://auth.test/v1/\n', 'https://auth.test/v1/auth/jwt'],
  ])('baseUrl %j → %s', async (base, url) => {
    const { auth, requests } = setup(undefined, { baseUrl: base });
    await auth.postJwtAuth(product);
    expect(only(requests).url).toBe(url);
    expect(`${auth.baseUrl}/auth/jwt`).toBe(url);
  });

  it("defaults to the spec's server URL", async () => {
    const { fetch, requests } = fakeFetch(() => Response.json({ access_token: jwt }));
    const auth = createAuthClient({ fetch });
    expect(auth.baseUrl).toBe('https://api.lumminary.com/v1');
    await auth.postJwtAuth(product);
    expect(only(requests).url).toBe('https://api.lumminary.com/v1/auth/jwt');
  });

  it('uses globalThis.fetch at call time when no fetch is given', async () => {
    const auth = createAuthClient({ baseUrl });
    const { fetch, requests } = fakeFetch(() => Response.json({ access_token: jwt }));
    vi.stubGlobal('fetch', fetch);
    await expect(auth.postJwtAuth(product)).resolves.toMatchObject({ accessToken: jwt });
    expect(only(requests).url).toBe(endpoint);
  });
});

describe("wire form (multipart/form-data, encoding: 'multipart')", () => {
  it('sends multipart/form-data with a boundary and the same fields, in spec order', async () => {
    const input = {
      username: 'ada lovelace+1@example.org',
      password: 'a b&c=d+e%f\r\ng😀"\\',
      role: 'role_product',
      twoFactorToken: '042917',
    };
    const request = await send(input, { encoding: 'multipart' });
    expect(request.url).toBe(endpoint);
    expect(request.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=\S+$/u);
    const form = await request.formData();
    expect([...form.entries()]).toEqual([
      ['username', input.username],
      ['password', input.password],
      ['role', input.role],
      ['2FA-token', input.twoFactorToken],
    ]);
  });

  it('omits 2FA-token when not given, and sends X-Fields and extra headers', async () => {
    const request = await send(
      { ...product, twoFactorToken: undefined, fields: '{access_token}' },
      { encoding: 'multipart' },
      { headers: { 'User-Agent': 'lumminary-test/1.0' } },
    );
    const form = await request.formData();
    expect([...form.keys()]).toEqual(['username', 'password', 'role']);
    expect(form.has('2FA-token')).toBe(false);
    expect(request.headers.get('x-fields')).toBe('{access_token}');
    expect(request.headers.get('user-agent')).toBe('lumminary-test/1.0');
  });

  it.each([
    ['password', { ...product, password: 'line1\nline2' }],
    ['password', { ...product, password: 'old-mac\rline' }],
    ['username', { ...product, username: 'ada\n@example.org' }],
    ['password', { ...product, password: '\uFEFFstarts with a BOM' }],
  ])(
    'refuses a %s with a bare CR or LF (rewritten to CRLF) or a leading U+FEFF (dropped by receivers) in multipart, before sending',
    async (field, input) => {
      const { auth, fetch } = setup();
      const error = await rejection(auth.postJwtAuth(input, { encoding: 'multipart' }), AuthInputError);
      expect(error.field).toBe(field);
      expect(error.message).not.toContain(input[field as 'password' | 'username']);
      expect(fetch).not.toHaveBeenCalled();
      // The default form encoding sends the same value unchanged.
      await expect(auth.postJwtAuth(input)).resolves.toMatchObject({ accessToken: jwt });
    },
  );

  it("form and multipart carry the same fields; 'form' is the explicit default", async () => {
    const input = { ...product, twoFactorToken: '12345678' };
    const viaDefault = await send(input);
    const viaForm = await send(input, { encoding: 'form' });
    const viaMultipart = await send(input, { encoding: 'multipart' });
    const formBody = await viaDefault.text();
    expect(await viaForm.text()).toBe(formBody);
    expect(viaForm.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect([...(await viaMultipart.formData()).entries()]).toEqual([...new URLSearchParams(formBody).entries()]);
  });
});

describe('success', () => {
  it('returns the access token and the body as sent', async () => {
    const { auth } = setup(
      () =>
        new Response(JSON.stringify({ access_token: jwt }), {
          status: 200,
          headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
        }),
    );
    await expect(auth.postJwtAuth(product)).resolves.toEqual({ accessToken: jwt, body: { access_token: jwt } });
  });

  it('works with a Content-Length header too (openapi-fetch then uses response.json())', async () => {
    const text = JSON.stringify({ access_token: 'a.b.c' });
    const { auth } = setup(
      () =>
        new Response(text, { headers: { 'Content-Type': 'application/json', 'Content-Length': String(text.length) } }),
    );
    await expect(auth.postJwtAuth(product)).resolves.toEqual({ accessToken: 'a.b.c', body: { access_token: 'a.b.c' } });
  });

  it('keeps extra properties of the body and does not require a JWT shape', async () => {
    const { auth } = setup(() => Response.json({ access_token: 'opaque', expires_in: 30 }));
    const result = await auth.postJwtAuth(product);
    expect(result.accessToken).toBe('opaque');
    expect(result.body).toEqual({ access_token: 'opaque', expires_in: 30 });
  });

  it('accepts any 2xx status', async () => {
    const { auth } = setup(() => Response.json({ access_token: jwt }, { status: 201 }));
    await expect(auth.postJwtAuth(product)).resolves.toMatchObject({ accessToken: jwt });
  });
});

describe('2xx without a usable token → AuthProtocolError', () => {
  it.each([
    ['no access_token', () => Response.json({ token: jwt }), 'the body has no non-empty access_token'],
    ['an empty access_token', () => Response.json({ access_token: '' }), 'the body has no non-empty access_token'],
    ['a non-string access_token', () => Response.json({ access_token: 123 }), 'the body has no non-empty access_token'],
    ['a null access_token', () => Response.json({ access_token: null }), 'the body has no non-empty access_token'],
    ['a JSON array', () => Response.json([jwt]), 'the body is not a JSON object'],
    ['a JSON string', () => Response.json(jwt), 'the body is not a JSON object'],
    ['JSON null', () => Response.json(null), 'the body is not a JSON object'],
    ['a JSON number', () => Response.json(42), 'the body is not a JSON object'],
    ['an empty body', () => new Response('', { status: 200 }), 'the body is not a JSON object'],
    [
      'an empty body with Content-Length: 0',
      () => new Response('', { headers: { 'Content-Length': '0' } }),
      'the body is not a JSON object',
    ],
    ['204 No Content', () => new Response(null, { status: 204 }), 'the body is not a JSON object'],
  ] satisfies [string, () => Response, string][])('%s', async (_, respond, problem) => {
    const { auth } = setup(respond);
    const error = await rejection(auth.postJwtAuth(product), AuthProtocolError);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.name).toBe('AuthProtocolError');
    expect(error.problem).toBe(problem);
    expect(error.message).toContain(problem);
    expect(error.status).toBe(respond().status);
  });

  const sentinel = 'eyJhbGciOiJTRU5USU5FTCJ9.c2VudGluZWwtdG9rZW4.c2lnbmF0dXJl';
  it.each([
    ['without Content-Length', {}],
    ['with Content-Length', { 'Content-Length': String(`{"access_token": ${sentinel}}`.length) }],
  ])('invalid JSON (%s) → AuthProtocolError that never leaks the body', async (_, headers) => {
    const text = `{"access_token": ${sentinel}}`;
    // The parser's own message quotes part of the body: make sure this test would notice.
    expect(() => JSON.parse(text)).toThrow(/eyJ/u);
    const { auth } = setup(
      () => new Response(text, { status: 200, headers: { 'Content-Type': 'application/json', ...headers } }),
    );
    const error = await rejection(auth.postJwtAuth(product), AuthProtocolError);
    expect(error.status).toBe(200);
    expect(error.problem).toBe('the body is not valid JSON');
    expect(error.cause).toBeUndefined();
    for (const rendering of renderings(error)) {
      expect(rendering).not.toContain('eyJ');
      expect(rendering).not.toContain('c2VudGluZWw');
      expect(rendering).not.toContain('access_token": ');
    }
  });

  it('invalid JSON on another 2xx reports that status', async () => {
    const { auth } = setup(() => new Response('<html>ok</html>', { status: 203 }));
    const error = await rejection(auth.postJwtAuth(product), AuthProtocolError);
    expect(error.status).toBe(203);
    expect(error.message).toBe('Login response is unusable (HTTP 203): the body is not valid JSON.');
  });
});

describe('non-2xx → AuthHttpError', () => {
  // The spec's examples (openapi/components/examples/Error*.yaml).
  const cases: [number, string, ErrorBody][] = [
    [
      400,
      'Bad Request',
      {
        code: 'invalid_request',
        message: 'The login form is not valid.',
        errors: { password: 'Missing required field.' },
      },
    ],
    [401, 'Unauthorized', { code: 'invalid_credentials', message: 'The username, password or role is not valid.' }],
    [
      401,
      'Unauthorized',
      { code: 'invalid_two_factor_token', message: 'The 2FA token is missing, wrong, expired or already used.' },
    ],
    [413, 'Payload Too Large', { code: 'payload_too_large', message: 'The request body is larger than 16384 bytes.' }],
    [
      415,
      'Unsupported Media Type',
      {
        code: 'unsupported_media_type',
        message: 'Send the form as application/x-www-form-urlencoded or multipart/form-data.',
      },
    ],
    [429, 'Too Many Requests', { code: 'too_many_requests', message: 'Too many failed attempts. Try again later.' }],
  ];

  it.each(cases)('%i with the spec JSON error body', async (status, statusText, body) => {
    const { auth } = setup(() => Response.json(body, { status, statusText }));
    const error = await rejection(auth.postJwtAuth(product), AuthHttpError);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('AuthHttpError');
    expect(error.status).toBe(status);
    expect(error.code).toBe(body.code);
    expect(error.body).toEqual(body);
    expect(error.rawBody).toBeUndefined();
    expect(error.retryAfterSeconds).toBeUndefined();
    expect(error.message).toBe(`Login failed with HTTP ${status}: ${body.code}: ${body.message}`);
  });

  it('429 with Retry-After in seconds', async () => {
    const { auth } = setup(() =>
      Response.json(
        { code: 'too_many_requests', message: 'Slow down.' },
        { status: 429, headers: { 'Retry-After': '30' } },
      ),
    );
    const error = await rejection(auth.postJwtAuth(product), AuthHttpError);
    expect(error.retryAfterSeconds).toBe(30);
    expect(error.message).toBe('Login failed with HTTP 429: too_many_requests: Slow down. (retry after 30 s)');
  });

  it('429 with Retry-After as an HTTP date', async () => {
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    const { auth } = setup(() =>
      Response.json(
        { code: 'too_many_requests', message: 'Slow down.' },
        { status: 429, headers: { 'Retry-After': inTwoMinutes } },
      ),
    );
    const error = await rejection(auth.postJwtAuth(product), AuthHttpError);
    // The date has whole seconds: 119 or 120 seconds from now, depending on the milliseconds.
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(118);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(120);
  });

  it('503 with Retry-After is parsed too; other statuses ignore it', async () => {
    const with503 = setup(() => new Response('down', { status: 503, headers: { 'Retry-After': '7' } }));
    expect((await rejection(with503.auth.postJwtAuth(product), AuthHttpError)).retryAfterSeconds).toBe(7);
    const with401 = setup(() =>
      Response.json({ code: 'invalid_credentials', message: 'No.' }, { status: 401, headers: { 'Retry-After': '7' } }),
    );
    expect((await rejection(with401.auth.postJwtAuth(product), AuthHttpError)).retryAfterSeconds).toBeUndefined();
  });

  it('429 with an invalid Retry-After leaves retryAfterSeconds undefined', async () => {
    const { auth } = setup(() => new Response('', { status: 429, headers: { 'Retry-After': 'soon 5' } }));
    const error = await rejection(auth.postJwtAuth(product), AuthHttpError);
    expect(error.retryAfterSeconds).toBeUndefined();
  });

  it('a non-JSON error body (502 HTML) → rawBody, code and body undefined', async () => {
    const html = '<html><body><h1>502 Bad Gateway</h1></body></html>';
    const { auth } = setup(
      () => new Response(html, { status: 502, statusText: 'Bad Gateway', headers: { 'Content-Type': 'text/html' } }),
    );
    const error = await rejection(auth.postJwtAuth(product), AuthHttpError);
    expect(error.status).toBe(502);
    expect(error.code).toBeUndefined();
    expect(error.body).toBeUndefined();
    expect(error.rawBody).toBe(html);
    expect(error.message).toBe('Login failed with HTTP 502: Bad Gateway');
  });

  it('JSON that is not the spec error → rawBody holds it, code undefined', async () => {
    const { auth } = setup(() => Response.json({ detail: 'nope', status: 400 }, { status: 400 }));
    const error = await rejection(auth.postJwtAuth(product), AuthHttpError);
    expect(error.code).toBeUndefined();
    expect(error.body).toBeUndefined();
    expect(JSON.parse(error.rawBody ?? 'null')).toEqual({ detail: 'nope', status: 400 });
  });

  it('without a body or status text the message still says what happened', async () => {
    const { auth } = setup(() => new Response(null, { status: 500 }));
    const error = await rejection(auth.postJwtAuth(product), AuthHttpError);
    expect(error.status).toBe(500);
    expect(error.code).toBeUndefined();
    expect(error.message).toBe('Login failed with HTTP 500: no JSON error body');
  });

  it('keeps at most 4 KiB of a raw body', async () => {
    const { auth } = setup(() => new Response('x'.repeat(10_000), { status: 502 }));
    const error = await rejection(auth.postJwtAuth(product), AuthHttpError);
    expect(error.rawBody).toBe('x'.repeat(4096));
  });

  it('3xx that is not followed is an AuthHttpError too', async () => {
    const { auth } = setup(() => new Response(null, { status: 304 }));
    const error = await rejection(auth.postJwtAuth(product), AuthHttpError);
    expect(error.status).toBe(304);
  });
});

describe('response bodies are read with a bound (maxResponseBytes)', () => {
  /** An endless body: chunks of `{"access_token":"aaaa…` until cancelled; records the cancel. */
  function endless() {
    let cancelled = false;
    let sent = 0;
    const chunk = new TextEncoder().encode('a'.repeat(16_384));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"access_token":"'));
      },
      pull(controller) {
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
      cancel() {
        cancelled = true;
      },
    });
    return { body, cancelled: () => cancelled, sent: () => sent };
  }

  it('an endless 200 body → AuthProtocolError naming the limit, and the stream is cancelled', async () => {
    const stream = endless();
    const { auth } = setup(() => new Response(stream.body, { status: 200 }), { maxResponseBytes: 100_000 });
    const error = await rejection(auth.postJwtAuth(product), AuthProtocolError);
    expect(error.message).toContain('larger than 100000 bytes');
    expect(stream.cancelled()).toBe(true);
    expect(stream.sent()).toBeLessThan(200_000);
  });

  it('an endless error body → AuthHttpError with the status and at most 4 KiB of raw body', async () => {
    const stream = endless();
    const { auth } = setup(() => new Response(stream.body, { status: 502 }));
    const error = await rejection(auth.postJwtAuth(product), AuthHttpError);
    expect(error.status).toBe(502);
    expect(error.body).toBeUndefined();
    expect(error.rawBody?.length).toBe(4096);
    expect(stream.cancelled()).toBe(true);
  });

  it('a body of exactly maxResponseBytes is read whole', async () => {
    const body = JSON.stringify({ access_token: jwt });
    const { auth } = setup(() => new Response(body), { maxResponseBytes: Buffer.byteLength(body) });
    await expect(auth.postJwtAuth(product)).resolves.toMatchObject({ accessToken: jwt });
  });

  it('multi-byte UTF-8 split across chunks decodes intact', async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ code: 'invalid_request', message: 'é😀 refusé' }));
    const { auth } = setup(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
              controller.close();
            },
          }),
          { status: 400 },
        ),
    );
    const error = await rejection(auth.postJwtAuth(product), AuthHttpError);
    expect(error.body?.message).toBe('é😀 refusé');
  });

  it('maxResponseBytes must be a positive integer', () => {
    expect(() => createAuthClient({ maxResponseBytes: 0 })).toThrow(RangeError);
    expect(() => createAuthClient({ maxResponseBytes: 1.5 })).toThrow(RangeError);
  });
});

describe('headers every login sends', () => {
  it('Accept: application/json (the original SDK sends it too)', async () => {
    const request = await send(product);
    expect(request.headers.get('accept')).toBe('application/json');
  });

  it('a client header can override Accept', async () => {
    const request = await send(product, undefined, { headers: { Accept: 'application/problem+json' } });
    expect(request.headers.get('accept')).toBe('application/problem+json');
  });
});

describe('error codes outside the spec are not typed as ErrorCode', () => {
  it('an unknown code leaves code and body undefined and keeps the body raw', async () => {
    const { auth } = setup(() => Response.json({ code: 'made_up', message: 'no' }, { status: 401 }));
    const error = await rejection(auth.postJwtAuth(product), AuthHttpError);
    expect(error.status).toBe(401);
    expect(error.code).toBeUndefined();
    expect(error.body).toBeUndefined();
    expect(error.rawBody).toBe('{"code":"made_up","message":"no"}');
  });
});

describe('secrets are never passed on', () => {
  // Realistic secrets that the error renderings cannot contain by accident.
  const password = 'hunter2 S3cr3t&pa=ss+w"o\\rd%😀';
  const twoFactorToken = '90817263';
  const input = { username: 'ada@example.org', password, role: 'role_product', twoFactorToken } satisfies LoginInput;
  const secrets = [password, twoFactorToken];

  it('the spec JSON error echoing them in message, errors and keys', async () => {
    const { auth } = setup(() =>
      Response.json(
        {
          code: 'invalid_request',
          message: `Password ${password} is wrong; 2FA ${twoFactorToken} was used`,
          errors: { password: `${password} is not the password`, [twoFactorToken]: 'reused' },
        },
        { status: 400 },
      ),
    );
    const error = await rejection(auth.postJwtAuth(input), AuthHttpError);
    expect(error.code).toBe('invalid_request');
    expect(error.body).toEqual({
      code: 'invalid_request',
      message: 'Password [REDACTED] is wrong; 2FA [REDACTED] was used',
      errors: { password: '[REDACTED] is not the password', '[REDACTED]': 'reused' },
    });
    expectNoSecret(error, secrets);
  });

  it('a raw (non-JSON) body echoing them', async () => {
    const { auth } = setup(() => new Response(`<p>bad login ${password} / ${twoFactorToken}</p>`, { status: 502 }));
    const error = await rejection(auth.postJwtAuth(input), AuthHttpError);
    expect(error.rawBody).toBe('<p>bad login [REDACTED] / [REDACTED]</p>');
    expectNoSecret(error, secrets);
  });

  it('a raw body echoing the form it received (form-encoded)', async () => {
    const { auth } = setup(async (request) => new Response(`cannot parse: ${await request.text()}`, { status: 400 }));
    const error = await rejection(auth.postJwtAuth(input), AuthHttpError);
    expect(error.rawBody).toBe(
      'cannot parse: username=ada%40example.org&password=[REDACTED]&role=role_product&2FA-token=[REDACTED]',
    );
    expectNoSecret(error, secrets);
  });

  it('a JSON body that is not the spec error (secrets JSON-escaped on the wire)', async () => {
    const { auth } = setup(() =>
      Response.json({ detail: `wrong password ${password}`, otp: twoFactorToken }, { status: 400 }),
    );
    const error = await rejection(auth.postJwtAuth(input), AuthHttpError);
    expect(JSON.parse(error.rawBody ?? 'null')).toEqual({ detail: 'wrong password [REDACTED]', otp: '[REDACTED]' });
    expectNoSecret(error, secrets);
  });

  it('a secret cut by the 4 KiB raw body limit is not partly kept', async () => {
    const body = 'x'.repeat(4096 - 12) + password;
    const { auth } = setup(() => new Response(body, { status: 502 }));
    const error = await rejection(auth.postJwtAuth(input), AuthHttpError);
    expect(error.rawBody?.length).toBeLessThanOrEqual(4096);
    expect(error.rawBody).not.toContain(password.slice(0, 12));
  });

  it('the status text echoing the 2FA code', async () => {
    const { auth } = setup(() => new Response(null, { status: 401, statusText: `Bad OTP ${twoFactorToken}` }));
    const error = await rejection(auth.postJwtAuth(input), AuthHttpError);
    expect(error.message).toBe('Login failed with HTTP 401: Bad OTP [REDACTED]');
    expectNoSecret(error, secrets);
  });

  it('a multipart login echoed back', async () => {
    const { auth } = setup(async (request) => {
      const form = await request.formData();
      return Response.json(
        { code: 'invalid_credentials', message: `no user with ${form.get('password')} ${form.get('2FA-token')}` },
        { status: 401 },
      );
    });
    const error = await rejection(auth.postJwtAuth(input, { encoding: 'multipart' }), AuthHttpError);
    expect(error.body?.message).toBe('no user with [REDACTED] [REDACTED]');
    expectNoSecret(error, secrets);
  });

  it('network errors name the origin only', async () => {
    const { auth } = setup(() => {
      throw new TypeError('fetch failed');
    });
    const error = await rejection(auth.postJwtAuth(input), AuthTransportError);
    expectNoSecret(error, secrets);
    expect(error.message).not.toContain('ada');
  });
});

describe('options', () => {
  it.each([
    ['not a URL', 'not a url'],
    ['a relative URL', '/v1'],
    ['an empty string', ''],
    ['another scheme', 'ftp://auth.test/v1'],
    ['a file URL', 'file:///etc/passwd'],
    ['credentials', 'https://user:hunter2@auth.test/v1'],
    ['only a user name', 'https://user@auth.test/v1'],
    ['a query', 'https://auth.test/v1?tenant=a'],
    ['an empty query', 'https://auth.test/v1?'],
    ['a fragment', 'https://auth.test/v1#top'],
    ['an empty fragment', 'https://auth.test/v1#'],
    ['plain http to a non-loopback host', 'http://auth.test/v1'],
    ['plain http to a private address', 'http://10.0.0.5:8080'],
    ['plain http to a look-alike of localhost', 'http://localhost.evil.test'],
  ])('baseUrl with %s → TypeError', (_, base) => {
    expect(() => createAuthClient({ baseUrl: base, fetch: vi.fn() })).toThrow(TypeError);
  });

  it('the credentials error does not repeat the credentials', () => {
    expect(() => createAuthClient({ baseUrl: 'https://user:hunter2@auth.test/v1' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });

  it.each([
    'http://127.0.0.1',
    'http://127.0.0.1:4010/v1',
    'http://localhost:4010',
    'http://LOCALHOST:4010',
    'http://[::1]:4010',
  ])('plain http to loopback is allowed: %s', (base) => {
    expect(() => createAuthClient({ baseUrl: base })).not.toThrow();
  });

  it('allowInsecureHttp permits plain http to another host, and is used', async () => {
    expect(() => createAuthClient({ baseUrl: 'http://auth.test/v1', allowInsecureHttp: false })).toThrow(TypeError);
    const { auth, requests } = setup(undefined, { baseUrl: 'http://auth.test/v1', allowInsecureHttp: true });
    await auth.postJwtAuth(product);
    expect(only(requests).url).toBe('http://auth.test/v1/auth/jwt');
  });

  it('allowInsecureHttp does not allow credentials or a query', () => {
    expect(() => createAuthClient({ baseUrl: 'http://u:p@auth.test', allowInsecureHttp: true })).toThrow(TypeError);
    expect(() => createAuthClient({ baseUrl: 'http://auth.test?x=1', allowInsecureHttp: true })).toThrow(TypeError);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '100' as unknown as number])(
    'client timeoutMs %s → RangeError',
    (timeoutMs) => {
      expect(() => createAuthClient({ baseUrl, timeoutMs })).toThrow(RangeError);
    },
  );

  it.each([1, 50, 2 ** 31 - 1])('client timeoutMs %i is accepted', (timeoutMs) => {
    expect(() => createAuthClient({ baseUrl, timeoutMs })).not.toThrow();
  });

  it.each([0, -5, 0.5, Number.NaN, 2 ** 31])('per-call timeoutMs %s → RangeError, nothing sent', async (timeoutMs) => {
    const { auth, fetch } = setup();
    await expect(auth.postJwtAuth(product, { timeoutMs })).rejects.toThrow(RangeError);
    expect(fetch).not.toHaveBeenCalled();
  });

  it.each(['json', 'FORM', 'multipart/form-data', ''])('encoding %j → RangeError, nothing sent', async (encoding) => {
    const { auth, fetch } = setup();
    await expect(
      auth.postJwtAuth(product, { encoding: encoding as unknown as LoginCallOptions['encoding'] }),
    ).rejects.toThrow(RangeError);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('fetch that is not a function → TypeError', () => {
    expect(() => createAuthClient({ fetch: 'fetch' as unknown as typeof globalThis.fetch })).toThrow(TypeError);
  });

  it('createAuthApi: the openapi-fetch client on the same base URL, fetch and Accept header', async () => {
    const { fetch, requests } = fakeFetch(() => Response.json({ access_token: jwt }));
    const api = createAuthApi({ baseUrl, fetch });
    const { data, response } = await api.POST('/auth/jwt', {
      body: { username: 'u', password: 'p', role: 'role_product' },
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(200);
    expect(data).toEqual({ access_token: jwt });
    const request = only(requests);
    expect(request.url).toBe(endpoint);
    expect(await request.text()).toBe('username=u&password=p&role=role_product');
    expect(request.headers.get('accept')).toBe('application/json');
  });

  it('createAuthApi refuses the same invalid base URLs', () => {
    expect(() => createAuthApi({ baseUrl: 'http://example.org' })).toThrow(TypeError);
    expect(() => createAuthApi({ baseUrl: 'https://user:pw@example.org' })).toThrow(TypeError);
  });
});

describe('timeout, abort and network failures', () => {
  /** A fetch that never answers, but rejects like the real one when the request's signal aborts. */
  const hang: Handler = (request) =>
    new Promise<Response>((_, reject) => {
      request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true });
    });

  it("times out with reason 'timeout' (client timeoutMs)", async () => {
    const { auth, requests } = setup(hang, { timeoutMs: 50 });
    const started = performance.now();
    const error = await rejection(auth.postJwtAuth(product), AuthTransportError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(error.reason).toBe('timeout');
    expect(error.message).toBe('Login timed out after 50 ms');
    expect(only(requests).signal.aborted).toBe(true);
  });

  it('times out even when an injected fetch ignores the signal (never answers, never rejects)', async () => {
    const { auth } = setup(() => new Promise<Response>(() => {}), { timeoutMs: 40 });
    const error = await rejection(auth.postJwtAuth(product), AuthTransportError);
    expect(error.reason).toBe('timeout');
  });

  it('a user abort settles at once even when an injected fetch ignores the signal', async () => {
    const { auth } = setup(() => new Promise<Response>(() => {}), { timeoutMs: 60_000 });
    const controller = new AbortController();
    const outcome = rejection(auth.postJwtAuth(product, { signal: controller.signal }), AuthTransportError);
    controller.abort(new Error('user gave up'));
    expect((await outcome).reason).toBe('aborted');
  });

  it('the per-call timeoutMs overrides the client one', async () => {
    const { auth } = setup(hang, { timeoutMs: 60_000 });
    const error = await rejection(auth.postJwtAuth(product, { timeoutMs: 30 }), AuthTransportError);
    expect(error.reason).toBe('timeout');
    expect(error.message).toBe('Login timed out after 30 ms');
  });

  it('the timeout covers reading the response body', async () => {
    const { auth } = setup(
      (request) =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('{"access_token":'));
              request.signal.addEventListener('abort', () => controller.error(request.signal.reason), { once: true });
            },
          }),
          { status: 200, headers: { 'Content-Type': 'application/json' } },
        ),
      { timeoutMs: 50 },
    );
    const error = await rejection(auth.postJwtAuth(product), AuthTransportError);
    expect(error.reason).toBe('timeout');
  });

  it('fires exactly at timeoutMs (fake timers drive the AbortController)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { auth, requests } = setup(hang, { timeoutMs: 1000 });
    const outcome = rejection(auth.postJwtAuth(product), AuthTransportError);
    await vi.advanceTimersByTimeAsync(999);
    expect(only(requests).signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(only(requests).signal.aborted).toBe(true);
    expect((await outcome).reason).toBe('timeout');
  });

  it("an already-aborted signal → reason 'aborted', nothing sent", async () => {
    const { auth, fetch } = setup();
    const reason = new Error('user cancelled');
    const error = await rejection(auth.postJwtAuth(product, { signal: AbortSignal.abort(reason) }), AuthTransportError);
    expect(error.reason).toBe('aborted');
    expect(error.cause).toBe(reason);
    expect(fetch).not.toHaveBeenCalled();
  });

  it("aborting mid-flight → reason 'aborted', and the request's signal is aborted", async () => {
    const { auth, requests } = setup(hang, { timeoutMs: 60_000 });
    const controller = new AbortController();
    const outcome = rejection(auth.postJwtAuth(product, { signal: controller.signal }), AuthTransportError);
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    expect(only(requests).signal.aborted).toBe(false);
    const reason = new Error('user navigated away');
    controller.abort(reason);
    const error = await outcome;
    expect(error.reason).toBe('aborted');
    expect(error.cause).toBe(reason);
    expect(only(requests).signal.aborted).toBe(true);
  });

  it("a fetch that throws TypeError → reason 'network', naming the origin only", async () => {
    const failure = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    const { auth } = setup(
      () => {
        throw failure;
      },
      { baseUrl: 'https://auth.test:8443/api/v1' },
    );
    const error = await rejection(auth.postJwtAuth(product), AuthTransportError);
    expect(error.reason).toBe('network');
    expect(error.message).toBe('Could not reach https://auth.test:8443');
    expect(error.message).not.toContain('/api');
    expect(error.cause).toBe(failure);
  });

  it("a fetch that throws anything else → reason 'network' too", async () => {
    const { auth } = setup(() => Promise.reject(new Error('proxy exploded')));
    const error = await rejection(auth.postJwtAuth(product), AuthTransportError);
    expect(error.reason).toBe('network');
  });

  it('a fetch throwing SyntaxError is a network failure, not a protocol error', async () => {
    const { auth } = setup(() => {
      throw new SyntaxError('bad header');
    });
    const error = await rejection(auth.postJwtAuth(product), AuthTransportError);
    expect(error.reason).toBe('network');
  });

  describe('leaves no timer and no listener behind', () => {
    const outcomes: [string, Handler, (new (...args: never[]) => unknown) | undefined][] = [
      ['success', () => Response.json({ access_token: jwt }), undefined],
      [
        'an HTTP error',
        () => Response.json({ code: 'invalid_credentials', message: 'No.' }, { status: 401 }),
        AuthHttpError,
      ],
      ['a protocol error', () => Response.json({}), AuthProtocolError],
      [
        'a network error',
        () => {
          throw new TypeError('fetch failed');
        },
        AuthTransportError,
      ],
    ];

    it.each(outcomes)('after %s: no pending timer', async (_, respond, errorType) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const { auth } = setup(async (request) => {
        await gate;
        return respond(request);
      });
      const login = auth.postJwtAuth(product);
      const settled = errorType === undefined ? login : rejection(login, errorType);
      expect(vi.getTimerCount()).toBe(1); // the timeout is armed while in flight
      release();
      await settled;
      expect(vi.getTimerCount()).toBe(0);
    });

    it.each(outcomes)("after %s: the user's signal has no abort listener left", async (_, respond, errorType) => {
      const controller = new AbortController();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const { auth } = setup(async (request) => {
        await gate;
        return respond(request);
      });
      const login = auth.postJwtAuth(product, { signal: controller.signal });
      const settled = errorType === undefined ? login : rejection(login, errorType);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      release();
      await settled;
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('after a timeout and after an abort: no timer, no listener', async () => {
      const controller = new AbortController();
      const { auth } = setup(hang, { timeoutMs: 20 });
      await rejection(auth.postJwtAuth(product, { signal: controller.signal }), AuthTransportError);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);

      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const other = new AbortController();
      const aborted = rejection(setup(hang).auth.postJwtAuth(product, { signal: other.signal }), AuthTransportError);
      expect(vi.getTimerCount()).toBe(1);
      other.abort();
      expect((await aborted).reason).toBe('aborted');
      expect(vi.getTimerCount()).toBe(0);
      expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
    });

    it('input errors arm no timer', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const { auth } = setup();
      await rejection(auth.postJwtAuth({ ...product, password: '' }), AuthInputError);
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2015, 9, 21, 7, 28, 0); // Wed, 21 Oct 2015 07:28:00 GMT

  it.each([
    ['30', 30],
    ['0', 0],
    [' 120 ', 120],
    ['86400', 86400],
    ['007', 7],
  ])('delta-seconds %j → %i', (header, seconds) => {
    expect(parseRetryAfter(header, now)).toBe(seconds);
  });

  it.each([
    ['Wed, 21 Oct 2015 07:28:30 GMT', 30], // IMF-fixdate
    ['Wed, 21 Oct 2015 07:29:00 GMT', 60],
    ['Wednesday, 21-Oct-15 07:28:45 GMT', 45], // obsolete RFC 850
    ['Wed Oct 21 07:28:10 2015', 10], // obsolete asctime, which is GMT whatever the local time zone
    ['Wed Oct  1 07:28:10 2015', 0], // asctime, a past date
    ['Wed, 21 Oct 2015 07:27:00 GMT', 0], // in the past
    ['Wed, 21 Oct 2015 07:28:00 GMT', 0], // now
  ])('HTTP date %j → %i s', (header, seconds) => {
    expect(parseRetryAfter(header, now)).toBe(seconds);
  });

  it('rounds a partial second up', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now + 500)).toBe(30);
  });

  it('uses Date.now() by default', () => {
    const header = new Date(Date.now() + 3_600_000).toUTCString();
    expect(parseRetryAfter(header)).toBeGreaterThanOrEqual(3598);
    expect(parseRetryAfter(header)).toBeLessThanOrEqual(3600);
  });

  it.each([
    null,
    '',
    '   ',
    'soon',
    '-5',
    '1.5',
    '30s',
    '0x10',
    '1e3',
    'soon 5',
    '5 5',
    '2015-10-21',
    'Wed, 21 Oct 2015',
  ])('not a Retry-After value: %j → undefined', (header) => {
    expect(parseRetryAfter(header, now)).toBeUndefined();
  });
});
