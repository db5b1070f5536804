// Brute force against a listening reference server (clock injected, so Retry-After is exact):
// repeated failures per account and per client address hit 429 with a Retry-After in seconds, the
// right password does not get through while blocked, the block lifts when the window has passed,
// malformed requests do not count, and the SDK surfaces the 429 as an AuthHttpError with status 429,
// code too_many_requests and retryAfterSeconds equal to the header.
import type { IncomingMessage } from 'node:http';
import { AuthHttpError, createAuthClient } from '@lumminary/auth-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordCases, recordFigure } from './figures/record.js';
import {
  clientFields,
  demoProduct,
  errorAnswerProblems,
  postForm,
  productFields,
  startCapturedServer,
  t0,
  TestClock,
  type CapturedServer,
} from './support/server-harness.js';

const family = 'brute force';
const tally = { tried: 0, failures: [] as string[] };
const servers: CapturedServer[] = [];

afterAll(async () => {
  recordCases(family, tally.tried, tally.failures.length);
  await Promise.all(servers.map((server) => server.close()));
});

interface Outcome {
  status: number;
  code: string | undefined;
  retryAfter: string | null;
}

/** Logs in (urlencoded) and returns status, error code and Retry-After; a 4xx must be a declared JSON error. */
async function attempt(
  server: CapturedServer,
  fields: [string, string][],
  headers: Record<string, string> = {},
): Promise<Outcome> {
  const response = await postForm(server.url, fields, headers);
  const text = await response.text();
  tally.tried++;
  if (response.status !== 200) {
    const problems = errorAnswerProblems(response.status, response.headers, text);
    if (problems.length > 0) tally.failures.push(...problems);
  }
  const code = response.status === 200 ? undefined : (JSON.parse(text) as { code: string }).code;
  return { status: response.status, code, retryAfter: response.headers.get('Retry-After') };
}

const wrong = (username: string, n = 0): [string, string][] => [
  ['username', username],
  ['password', `wrong-password-${n}`],
  ['role', 'role_product'],
];
const ok401 = { status: 401, code: 'invalid_credentials', retryAfter: null };
const bad = (status: number, code: string): Outcome => ({ status, code, retryAfter: null });
const blocked = (seconds: number) => ({ status: 429, code: 'too_many_requests', retryAfter: String(seconds) });

/** Counts a step that did not go as expected, then asserts it (so that the figures see it too). */
function expectOutcome(label: string, actual: Outcome, expected: Outcome): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    tally.failures.push(`${label}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
  expect({ label, ...actual }).toEqual({ label, ...expected });
}

async function start(options: Parameters<typeof startCapturedServer>[0]): Promise<CapturedServer> {
  const server = await startCapturedServer(options);
  servers.push(server);
  return server;
}

describe('brute force, per account', () => {
  const clock = new TestClock();
  let server: CapturedServer;
  beforeAll(async () => {
    server = await start({ clock, rateLimit: { accountFailures: 3, addressFailures: 1_000, windowMs: 60_000 } });
  });

  it('blocks the 4th attempt for 57 s after 3 failures 1 s apart, even with the right password; other accounts go on', async () => {
    clock.ms = t0;
    for (let n = 1; n <= 3; n++) {
      expectOutcome(`failure ${n}`, await attempt(server, productFields(`wrong-${n}`)), ok401);
      clock.advance(1_000);
    }
    // Failures at t0, t0+1 s, t0+2 s; now t0+3 s: the oldest leaves the 60 s window at t0+60 s.
    expectOutcome('the right API key while blocked', await attempt(server, productFields()), blocked(57));
    expectOutcome('a wrong one while blocked', await attempt(server, productFields('wrong-4')), blocked(57));
    expectOutcome(
      'the username in upper case',
      await attempt(server, [['username', demoProduct.username.toUpperCase()], ...productFields().slice(1)]),
      blocked(57),
    );
    expectOutcome(
      'another account from the same address',
      await attempt(server, clientFields('123456', 'wrong')),
      ok401,
    );
    clock.advance(56_000);
    expectOutcome('1 s before the block ends', await attempt(server, productFields()), blocked(1));
    clock.advance(1_000);
    const after = await attempt(server, productFields());
    expectOutcome('the right API key when the window has passed', after, {
      status: 200,
      code: undefined,
      retryAfter: null,
    });
  });

  it('does not count malformed requests (400, 413, 415)', async () => {
    clock.advance(3_600_000);
    const username = 'malformed@example.org';
    const malformed: [string, [string, string][], Record<string, string>, Outcome][] = [
      [
        'a role against its pattern',
        [...wrong(username).slice(0, 2), ['role', 'ROLE']],
        {},
        bad(400, 'invalid_request'),
      ],
      ['text/plain', wrong(username), { 'Content-Type': 'text/plain' }, bad(415, 'unsupported_media_type')],
      [
        'a body over 16 KiB',
        wrong(username).map(([name, value]): [string, string] => [
          name,
          name === 'password' ? value.padEnd(17_000, 'x') : value,
        ]),
        {},
        bad(413, 'payload_too_large'),
      ],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [label, fields, headers, expected] of malformed) {
        expectOutcome(`${label} (${round})`, await attempt(server, fields, headers), expected);
      }
    }
    expectOutcome('a real failure afterwards', await attempt(server, wrong(username)), ok401);
  });

  it('makes the SDK reject with AuthHttpError 429 too_many_requests, retryAfterSeconds equal to the header', async () => {
    clock.advance(3_600_000);
    const username = 'sdk.victim@example.org';
    const client = createAuthClient({ baseUrl: server.url });
    const password = 'SDK-brute-force-password';
    const input = { username, password, role: 'role_product' };
    const failures: unknown[] = [];
    for (let n = 0; n < 3; n++) failures.push(await client.postJwtAuth(input).catch((error: unknown) => error));
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(AuthHttpError);
      expect(failure).toMatchObject({ status: 401, code: 'invalid_credentials', retryAfterSeconds: undefined });
    }
    clock.advance(12_000);
    const header = (await attempt(server, wrong(username))).retryAfter;
    expect(header).toBe('48');
    const error = await client.postJwtAuth(input).catch((caught: unknown) => caught);
    tally.tried++;
    expect(error).toBeInstanceOf(AuthHttpError);
    const http = error as AuthHttpError;
    const seen = { status: http.status, code: http.code, retryAfterSeconds: http.retryAfterSeconds };
    if (seen.status !== 429 || seen.code !== 'too_many_requests' || seen.retryAfterSeconds !== Number(header)) {
      tally.failures.push(`SDK: ${JSON.stringify(seen)}`);
    }
    expect(seen).toEqual({ status: 429, code: 'too_many_requests', retryAfterSeconds: 48 });
    expect(http.message).toMatch(/429/u);
    expect(`${http.message} ${JSON.stringify(http)}`).not.toContain(password);
    recordFigure(family, 'SDK retryAfterSeconds (s)', http.retryAfterSeconds ?? 'none');
  });
});

describe('brute force, per client address', () => {
  const clock = new TestClock();
  let server: CapturedServer;
  beforeAll(async () => {
    server = await start({
      clock,
      rateLimit: { accountFailures: 1_000, addressFailures: 4, windowMs: 120_000 },
      // The socket's address (127.0.0.1 here), unless the test names another client in a header.
      clientAddress: (request: Request, incoming: IncomingMessage | undefined) =>
        request.headers.get('X-Test-Client-Address') ?? incoming?.socket.remoteAddress,
    });
  });

  it('blocks the address after 4 failures on 4 accounts, for every account; another address goes on', async () => {
    clock.ms = t0;
    for (let n = 1; n <= 4; n++) {
      expectOutcome(`failure ${n}`, await attempt(server, wrong(`user${n}@example.org`, n)), ok401);
      clock.advance(5_000);
    }
    // Failures at t0 … t0+15 s; now t0+20 s: the oldest leaves the 120 s window at t0+120 s.
    expectOutcome('a fifth account', await attempt(server, wrong('user5@example.org')), blocked(100));
    expectOutcome('the right API key from the blocked address', await attempt(server, productFields()), blocked(100));
    const other = { 'X-Test-Client-Address': '192.0.2.7' };
    const fromOther = await attempt(server, productFields(), other);
    expectOutcome('the right API key from another address', fromOther, {
      status: 200,
      code: undefined,
      retryAfter: null,
    });
    expectOutcome('a failure from another address', await attempt(server, wrong('user6@example.org'), other), ok401);
    const sdkError = await createAuthClient({ baseUrl: server.url })
      .postJwtAuth({ username: 'user7@example.org', password: 'whatever', role: 'role_product' })
      .catch((error: unknown) => error);
    tally.tried++;
    expect(sdkError).toBeInstanceOf(AuthHttpError);
    expect(sdkError).toMatchObject({ status: 429, code: 'too_many_requests', retryAfterSeconds: 100 });
    clock.advance(100_000);
    expectOutcome('when the window has passed', await attempt(server, productFields()), {
      status: 200,
      code: undefined,
      retryAfter: null,
    });
  });
});

describe('brute force, default limits', () => {
  it('blocks a username after 5 failures for the 5-minute window, Retry-After 300', async () => {
    const clock = new TestClock();
    const server = await start({ clock });
    for (let n = 1; n <= 5; n++)
      expectOutcome(`failure ${n}`, await attempt(server, wrong('eve@example.org', n)), ok401);
    expectOutcome('the 6th attempt', await attempt(server, wrong('eve@example.org', 6)), blocked(300));
  });

  it('caps Retry-After at 86400 s, the spec’s maximum, for a longer window', async () => {
    const clock = new TestClock();
    const server = await start({ clock, rateLimit: { accountFailures: 1, windowMs: 10 * 86_400_000 } });
    expectOutcome('failure', await attempt(server, wrong('mallory@example.org')), ok401);
    expectOutcome('blocked for 10 days', await attempt(server, wrong('mallory@example.org')), blocked(86_400));
  });
});
