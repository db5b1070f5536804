// Client faults: the real SDK, over real sockets (global fetch), against loopback servers that fail at
// every stage of an exchange. Each fault must end in the expected typed error, within its time bound,
// with no unhandled rejection, no timer or socket left behind, bounded memory for huge bodies, and
// (through a token session) no poisoned cache: the next getToken against a healthy server succeeds.
import { createGzip } from 'node:zlib';
import {
  AuthError,
  AuthHttpError,
  AuthProtocolError,
  AuthTransportError,
  createAuthClient,
  createTokenSession,
  type LoginInput,
  type TransportFailure,
} from '@lumminary/auth-sdk';
import { demoCredentials, type RunningAuthServer, startAuthServer } from '@lumminary/auth-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordCases, recordFigure } from './figures/record.js';
import {
  activeResources,
  closedPort,
  type FaultHandler,
  type FaultServer,
  forwardTo,
  peakMemoryGrowth,
  pump,
  respond,
  responseHead,
  settledResources,
  sleep,
  startCaptureServer,
  startFaultServer,
  trackUnhandled,
  trickle,
  watchedResources,
  within,
  writeAll,
} from './support/client-loopback.js';

const family = 'client faults';

/** The reference server's demo partner product (public demo secrets). */
const product = demoCredentials.product satisfies LoginInput;

/** The client timeout of the timeout faults, and how late past it a call may settle (a loaded 2-core box). */
const shortTimeoutMs = 300;
const slackMs = 1_500;
/** Faults that are not about time must settle well before this (the client's own timeout is above it). */
const promptMs = 4_000;
const defaultTimeoutMs = 8_000;
/** The huge bodies, and what their memory growth must stay under. */
const hugeBodyBytes = 50 * 1024 * 1024;
const maxRssGrowthBytes = 24 * 1024 * 1024;
const maxArrayBufferGrowthBytes = 8 * 1024 * 1024;

type Expected =
  | { type: 'transport'; reason: TransportFailure }
  | { type: 'http'; status: number; check?: (error: AuthHttpError) => void }
  | { type: 'protocol'; status: number; problem: RegExp };

interface FaultCase {
  name: string;
  /** What the server does; undefined: nothing listens (connection refused). */
  handler?: FaultHandler;
  expected: Expected;
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** The server never ends the exchange itself: the client must close the connection. */
  holdsConnection?: boolean;
  /** A huge body: peak memory growth is measured and bounded. */
  huge?: boolean;
  /** The caller aborts after this many ms. */
  abortAfterMs?: number;
}

const jsonHeaders = { 'Content-Type': 'application/json' };
const chunk64k = Buffer.alloc(64 * 1024, 'a');

/** A chunked-encoding frame holding `data`. */
function chunkFrame(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
}

/** 50 MB of zeros, gzipped (about 50 KB), built without ever holding the 50 MB. */
async function gzipBomb(): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gzip.on('data', (part: Buffer) => parts.push(part));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < hugeBodyBytes / zeros.length; i++) gzip.write(zeros);
  gzip.end();
  await new Promise((resolve) => gzip.on('end', resolve));
  return Buffer.concat(parts);
}

let bomb: Buffer = Buffer.alloc(0);
let reference: RunningAuthServer;
/** The redirect target: it must never see a login. */
let elsewhere: Awaited<ReturnType<typeof startCaptureServer>>;

const cases: FaultCase[] = [
  { name: 'connection refused (a closed port)', expected: { type: 'transport', reason: 'network' } },
  {
    name: 'reset before any response (RST on the request)',
    handler: (socket) => socket.resetAndDestroy(),
    expected: { type: 'transport', reason: 'network' },
  },
  {
    name: 'reset right after the response head',
    handler: (socket) => {
      writeAll(socket, responseHead(200, 'OK', { ...jsonHeaders, 'Content-Length': 100 }));
      setTimeout(() => socket.resetAndDestroy(), 20);
    },
    expected: { type: 'transport', reason: 'network' },
  },
  {
    name: 'reset after part of the body',
    handler: (socket) => {
      writeAll(socket, responseHead(200, 'OK', { ...jsonHeaders, 'Content-Length': 100 }));
      writeAll(socket, '{"access_token":"eyJhbGciOiJFUzI1');
      setTimeout(() => socket.resetAndDestroy(), 20);
    },
    expected: { type: 'transport', reason: 'network' },
  },
  {
    name: 'truncated JSON: Content-Length larger than what is sent, then close',
    handler: (socket) => {
      writeAll(socket, responseHead(200, 'OK', { ...jsonHeaders, 'Content-Length': 200 }));
      writeAll(socket, '{"access_token":"eyJhbGciOiJFUzI1');
      setTimeout(() => socket.end(), 20);
    },
    expected: { type: 'transport', reason: 'network' },
  },
  {
    name: 'truncated chunked body (no last chunk), then close',
    handler: (socket) => {
      const headers = { ...jsonHeaders, 'Transfer-Encoding': 'chunked', Connection: 'keep-alive' };
      writeAll(socket, responseHead(200, 'OK', headers));
      writeAll(socket, chunkFrame(Buffer.from('{"access_token":"eyJhbGciOiJFUzI1')));
      setTimeout(() => socket.end(), 20);
    },
    expected: { type: 'transport', reason: 'network' },
  },
  {
    // Node's fetch (undici 6) takes the close of a `Connection: close` response as the end of a chunked
    // body, last chunk or not: the cut JSON reaches the SDK, which refuses it.
    name: 'truncated chunked body on a Connection: close response, then close',
    handler: (socket) => {
      writeAll(socket, responseHead(200, 'OK', { ...jsonHeaders, 'Transfer-Encoding': 'chunked' }));
      writeAll(socket, chunkFrame(Buffer.from('{"access_token":"eyJhbGciOiJFUzI1')));
      setTimeout(() => socket.end(), 20);
    },
    expected: { type: 'protocol', status: 200, problem: /not valid JSON/u },
  },
  {
    name: 'JSON cut short with a matching Content-Length',
    handler: (socket) => respond(socket, 200, 'OK', '{"access_token":"eyJhbGciOiJFUzI1', jsonHeaders),
    expected: { type: 'protocol', status: 200, problem: /not valid JSON/u },
  },
  {
    name: 'no answer at all (the request is read, nothing is written)',
    handler: () => {},
    timeoutMs: shortTimeoutMs,
    holdsConnection: true,
    expected: { type: 'transport', reason: 'timeout' },
  },
  {
    name: 'half a status line, then silence',
    handler: (socket) => writeAll(socket, 'HTTP/1.1 20'),
    timeoutMs: shortTimeoutMs,
    holdsConnection: true,
    expected: { type: 'transport', reason: 'timeout' },
  },
  {
    name: 'a response head, then no body',
    handler: (socket) => writeAll(socket, responseHead(200, 'OK', { ...jsonHeaders, 'Content-Length': 60 })),
    timeoutMs: shortTimeoutMs,
    holdsConnection: true,
    expected: { type: 'transport', reason: 'timeout' },
  },
  {
    name: 'slow trickle of the response head (a byte every 50 ms)',
    handler: (socket) => trickle(socket, `${responseHead(200, 'OK', { ...jsonHeaders, 'Content-Length': 2 })}{}`, 50),
    timeoutMs: shortTimeoutMs,
    holdsConnection: true,
    expected: { type: 'transport', reason: 'timeout' },
  },
  {
    name: 'slow trickle of the body (a byte every 50 ms)',
    handler: (socket) => {
      const body = JSON.stringify({ access_token: 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln' });
      writeAll(socket, responseHead(200, 'OK', { ...jsonHeaders, 'Content-Length': body.length }));
      trickle(socket, body, 50);
    },
    timeoutMs: shortTimeoutMs,
    holdsConnection: true,
    expected: { type: 'transport', reason: 'timeout' },
  },
  {
    name: 'the caller aborts while the server says nothing',
    handler: () => {},
    abortAfterMs: 100,
    holdsConnection: true,
    expected: { type: 'transport', reason: 'aborted' },
  },
  {
    name: '502 with an HTML body',
    handler: (socket) =>
      respond(socket, 502, 'Bad Gateway', '<html><body><h1>502 Bad Gateway</h1></body></html>', {
        'Content-Type': 'text/html',
      }),
    expected: {
      type: 'http',
      status: 502,
      check: (error) => {
        expect(error.message).toBe('Login failed with HTTP 502: Bad Gateway');
        expect(error.code).toBeUndefined();
        expect(error.body).toBeUndefined();
        expect(error.rawBody).toBe('<html><body><h1>502 Bad Gateway</h1></body></html>');
      },
    },
  },
  {
    name: '503 with Retry-After and an empty body',
    handler: (socket) => respond(socket, 503, 'Service Unavailable', '', { 'Retry-After': 7 }),
    expected: {
      type: 'http',
      status: 503,
      check: (error) => {
        expect(error.retryAfterSeconds).toBe(7);
        expect(error.rawBody).toBeUndefined();
      },
    },
  },
  {
    name: '200 without access_token',
    handler: (socket) => respond(socket, 200, 'OK', '{"token_type":"bearer","expires_in":30}', jsonHeaders),
    expected: { type: 'protocol', status: 200, problem: /no non-empty access_token/u },
  },
  {
    name: '200 with an empty access_token',
    handler: (socket) => respond(socket, 200, 'OK', '{"access_token":""}', jsonHeaders),
    expected: { type: 'protocol', status: 200, problem: /no non-empty access_token/u },
  },
  {
    name: '200 with a JSON array',
    handler: (socket) => respond(socket, 200, 'OK', '[{"access_token":"x"}]', jsonHeaders),
    expected: { type: 'protocol', status: 200, problem: /not a JSON object/u },
  },
  {
    name: '200 with an empty body',
    handler: (socket) => respond(socket, 200, 'OK', '', jsonHeaders),
    expected: { type: 'protocol', status: 200, problem: /not a JSON object/u },
  },
  {
    name: '200 with an HTML page (a captive portal)',
    handler: (socket) =>
      respond(socket, 200, 'OK', '<html>Sign in to the Wi-Fi</html>', { 'Content-Type': 'text/html' }),
    expected: { type: 'protocol', status: 200, problem: /not valid JSON/u },
  },
  {
    name: '50 MB body on a 200 (Content-Length), default maxResponseBytes',
    handler: (socket) => {
      writeAll(socket, responseHead(200, 'OK', { ...jsonHeaders, 'Content-Length': hugeBodyBytes }));
      writeAll(socket, '{"access_token":"');
      pump(socket, chunk64k, hugeBodyBytes - 17);
    },
    holdsConnection: true,
    huge: true,
    expected: { type: 'protocol', status: 200, problem: /larger than 65536 bytes/u },
  },
  {
    name: 'endless chunked body on a 200, maxResponseBytes 1 MiB',
    handler: (socket) => {
      writeAll(socket, responseHead(200, 'OK', { ...jsonHeaders, 'Transfer-Encoding': 'chunked' }));
      pump(socket, chunkFrame(chunk64k));
    },
    maxResponseBytes: 1024 * 1024,
    holdsConnection: true,
    huge: true,
    expected: { type: 'protocol', status: 200, problem: /larger than 1048576 bytes/u },
  },
  {
    name: 'endless chunked body on a 500',
    handler: (socket) => {
      writeAll(socket, responseHead(500, 'Internal Server Error', { 'Transfer-Encoding': 'chunked' }));
      pump(socket, chunkFrame(chunk64k));
    },
    holdsConnection: true,
    huge: true,
    expected: {
      type: 'http',
      status: 500,
      check: (error) => expect(error.rawBody).toBe('a'.repeat(4096)),
    },
  },
  {
    name: 'gzip bomb: 50 MB of zeros in about 50 KB, Content-Encoding gzip',
    handler: (socket) => respond(socket, 200, 'OK', bomb, { ...jsonHeaders, 'Content-Encoding': 'gzip' }),
    huge: true,
    expected: { type: 'protocol', status: 200, problem: /larger than 65536 bytes/u },
  },
  {
    name: 'garbage instead of HTTP',
    handler: (socket) => {
      writeAll(socket, 'SSH-2.0-OpenSSH_9.6\r\n\r\n');
      socket.end();
    },
    expected: { type: 'transport', reason: 'network' },
  },
  {
    name: 'a 100 KB response header',
    handler: (socket) => respond(socket, 200, 'OK', '{}', { 'X-Padding': 'p'.repeat(100 * 1024) }),
    expected: { type: 'transport', reason: 'network' },
  },
  {
    name: '307 redirect to another origin (the login must not be re-sent there)',
    handler: (socket) => respond(socket, 307, 'Temporary Redirect', '', { Location: `${elsewhere.url}/auth/jwt` }),
    expected: {
      type: 'http',
      status: 307,
      check: () => expect(elsewhere.requests).toEqual([]),
    },
  },
  {
    name: '303 See Other to a page handing out a token',
    handler: (socket) => respond(socket, 303, 'See Other', '', { Location: `${elsewhere.url}/token` }),
    expected: {
      type: 'http',
      status: 303,
      check: () => expect(elsewhere.requests).toEqual([]),
    },
  },
];

const unhandled = trackUnhandled();
let tried = 0;
let failures = 0;
let worstOvershootMs = 0;
let worstRssGrowth = 0;
let worstArrayBufferGrowth = 0;
let mostBytesBeforeHangUp = 0;

/** Runs one case body, counting it; no unhandled rejection may appear meanwhile. */
async function counted(body: () => Promise<void>): Promise<void> {
  tried++;
  const unhandledBefore = unhandled.reasons.length;
  try {
    await body();
    await sleep(10);
    expect(unhandled.reasons.slice(unhandledBefore)).toEqual([]);
  } catch (error) {
    failures++;
    throw error;
  }
}

beforeAll(async () => {
  bomb = await gzipBomb();
  reference = await startAuthServer({ quiet: true, port: 0 });
  elsewhere = await startCaptureServer(() => ({ status: 200, body: '{"access_token":"stolen"}' }));
});

afterAll(async () => {
  unhandled.stop();
  await elsewhere?.close();
  await reference?.close();
  recordCases(family, tried, failures);
  recordFigure(family, 'timeout overshoot, worst (ms)', Math.round(worstOvershootMs));
  recordFigure(family, 'peak rss growth, huge bodies (MiB)', +(worstRssGrowth / 2 ** 20).toFixed(1));
  recordFigure(family, 'peak ArrayBuffer growth, huge bodies (MiB)', +(worstArrayBufferGrowth / 2 ** 20).toFixed(1));
  recordFigure(family, 'bytes sent before the client hung up, worst (KiB)', Math.round(mostBytesBeforeHangUp / 1024));
  expect(unhandled.reasons).toEqual([]);
});

/** The client's timeout in a case: the short one of the timeout faults, else one the fault ends well before. */
function clientTimeoutMs(fault: FaultCase): number {
  return fault.timeoutMs ?? (fault.abortAfterMs === undefined ? defaultTimeoutMs : 1_000);
}

/** Checks the error against the case's expectation. */
function expectTyped(error: unknown, expected: Expected): void {
  expect(error).toBeInstanceOf(AuthError);
  switch (expected.type) {
    case 'transport':
      expect(error).toBeInstanceOf(AuthTransportError);
      expect((error as AuthTransportError).reason).toBe(expected.reason);
      break;
    case 'http':
      expect(error).toBeInstanceOf(AuthHttpError);
      expect((error as AuthHttpError).status).toBe(expected.status);
      expected.check?.(error as AuthHttpError);
      break;
    case 'protocol':
      expect(error).toBeInstanceOf(AuthProtocolError);
      expect((error as AuthProtocolError).status).toBe(expected.status);
      expect((error as AuthProtocolError).problem).toMatch(expected.problem);
      break;
  }
}

/** The fault server of a case (for connection refused: none, and the port it would have used). */
async function faultFor(fault: FaultCase): Promise<{ server: FaultServer | undefined; port: number }> {
  if (fault.handler === undefined) return { server: undefined, port: await closedPort() };
  const server = await startFaultServer(fault.handler);
  return { server, port: server.port };
}

/** One faulty call: the error it rejects with, how long it took, and its peak memory growth. */
async function faultyCall(fault: FaultCase, call: (signal: AbortSignal | undefined) => Promise<unknown>) {
  const controller = fault.abortAfterMs === undefined ? undefined : new AbortController();
  const abortTimer = controller && setTimeout(() => controller.abort(), fault.abortAfterMs);
  const started = performance.now();
  const bound = (fault.timeoutMs ?? fault.abortAfterMs ?? promptMs) + slackMs;
  try {
    const { result, rssBytes, arrayBuffersBytes } = await peakMemoryGrowth(() =>
      within(
        call(controller?.signal).then(
          (value) => ({ settled: 'resolved' as const, value }),
          (error: unknown) => ({ settled: 'rejected' as const, error }),
        ),
        bound,
        fault.name,
      ),
    );
    return { result, elapsedMs: performance.now() - started, rssBytes, arrayBuffersBytes };
  } finally {
    clearTimeout(abortTimer);
  }
}

/** Checks what every fault must leave: time bound, closed connections, memory, no leaks. */
async function expectCleanFailure(
  fault: FaultCase,
  server: FaultServer | undefined,
  outcome: Awaited<ReturnType<typeof faultyCall>>,
): Promise<void> {
  expect(outcome.result.settled).toBe('rejected');
  if (outcome.result.settled === 'rejected') expectTyped(outcome.result.error, fault.expected);
  const limitMs = fault.timeoutMs ?? fault.abortAfterMs;
  if (limitMs !== undefined) {
    // Settles at the deadline: not before it, and not much later.
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(limitMs - 5);
    expect(outcome.elapsedMs).toBeLessThan(limitMs + slackMs);
    worstOvershootMs = Math.max(worstOvershootMs, outcome.elapsedMs - limitMs);
  } else {
    expect(outcome.elapsedMs).toBeLessThan(promptMs);
  }
  if (fault.huge) {
    expect(outcome.rssBytes).toBeLessThan(maxRssGrowthBytes);
    expect(outcome.arrayBuffersBytes).toBeLessThan(maxArrayBufferGrowthBytes);
    worstRssGrowth = Math.max(worstRssGrowth, outcome.rssBytes);
    worstArrayBufferGrowth = Math.max(worstArrayBufferGrowth, outcome.arrayBuffersBytes);
  }
  if (server !== undefined && fault.holdsConnection) {
    // The server would go on forever: the client must be the one that hangs up.
    const requests = server.requests();
    expect(requests.length).toBeGreaterThan(0);
    await within(Promise.all(requests.map(({ closed }) => closed)), 1_000, 'the client closing the connection');
    for (const { bytesSent } of requests) {
      expect(bytesSent).toBeLessThan(hugeBodyBytes / 4);
      mostBytesBeforeHangUp = Math.max(mostBytesBeforeHangUp, bytesSent);
    }
  }
}

/** After the servers of a case are closed: the watched resources are back at the baseline. */
async function expectNoLeaks(baseline: ReturnType<typeof activeResources>): Promise<void> {
  const now = await settledResources(baseline);
  for (const kind of watchedResources) expect(now[kind], `${kind} left behind`).toBeLessThanOrEqual(baseline[kind]);
}

describe('postJwtAuth against faulty servers', () => {
  it('control: the same harness, forwarding to the reference server, logs in', () =>
    counted(async () => {
      const baseline = activeResources();
      const server = await startFaultServer(forwardTo(reference.url));
      const client = createAuthClient({ baseUrl: server.url, timeoutMs: defaultTimeoutMs });
      const { accessToken } = await within(client.postJwtAuth(product), promptMs, 'control login');
      expect(accessToken.split('.')).toHaveLength(3);
      await server.close();
      await expectNoLeaks(baseline);
    }));

  it.each(cases)('$name', (fault) =>
    counted(async () => {
      const baseline = activeResources();
      const { server, port } = await faultFor(fault);
      const client = createAuthClient({
        baseUrl: `http://127.0.0.1:${port}`,
        timeoutMs: clientTimeoutMs(fault),
        maxResponseBytes: fault.maxResponseBytes,
      });
      const outcome = await faultyCall(fault, (signal) => client.postJwtAuth(product, { signal }));
      await expectCleanFailure(fault, server, outcome);
      await server?.close();
      await expectNoLeaks(baseline);
    }),
  );
});

describe('a token session (multipart logins) against the same faults', () => {
  it.each(cases)('$name: same typed error, then a healthy login succeeds', (fault) =>
    counted(async () => {
      const baseline = activeResources();
      let { server, port } = await faultFor(fault);
      const client = createAuthClient({
        baseUrl: `http://127.0.0.1:${port}`,
        timeoutMs: clientTimeoutMs(fault),
        maxResponseBytes: fault.maxResponseBytes,
      });
      const session = createTokenSession({
        client,
        credentials: () => ({ ...product }),
        loginOptions: { encoding: 'multipart' },
      });
      const outcome = await faultyCall(fault, (signal) => session.getToken({ signal }));
      if (fault.abortAfterMs !== undefined) {
        // Aborting stops the wait, not the shared login: a new caller joins it, and it ends in the client's timeout.
        const shared = await within(
          session.getToken().catch((error: unknown) => error),
          clientTimeoutMs(fault) + slackMs,
          'the shared login',
        );
        expectTyped(shared, { type: 'transport', reason: 'timeout' });
      }
      await expectCleanFailure(fault, server, outcome);
      expect(session.loginCount).toBe(1);

      // The server recovers (or, for a closed port, one starts there): the failure is not cached.
      if (server === undefined) server = await startFaultServer(forwardTo(reference.url), port);
      else server.handler = forwardTo(reference.url);
      const token = await within(session.getToken(), promptMs, 'getToken after recovery');
      expect(token.split('.')).toHaveLength(3);
      expect(session.loginCount).toBe(2);
      // And it is cached now: no third login.
      await expect(session.getToken()).resolves.toBe(token);
      expect(session.loginCount).toBe(2);
      await server.close();
      await expectNoLeaks(baseline);
    }),
  );
});
