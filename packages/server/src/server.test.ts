// The listening server: real sockets, real fetch, the SDK as a client, and HTTP-level abuse.
import { connect } from 'node:net';
import { AuthHttpError, createAuthClient } from '@lumminary/auth-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type RunningAuthServer } from './server.js';
import { verifyAccessToken } from './tokens.js';
import {
  assertErrorBody,
  codeAt,
  demoClient,
  demoProduct,
  expectError,
  expectToken,
  productFields,
  TestClock,
} from './test-support/demo.js';

const clock = new TestClock();
let server: RunningAuthServer;

beforeAll(async () => {
  server = await startAuthServer({ clock, quiet: true });
});
afterAll(async () => {
  await server.close();
});

const formBody = () => new URLSearchParams(productFields().map(([name, value]) => [name, value])).toString();
const formHeaders = { 'Content-Type': 'application/x-www-form-urlencoded' };

/**
 * Sends raw bytes and returns the raw response (the server closes or answers within 5 s).
 * `keepOpen` leaves the client's side open, as a client that stops sending mid-request does.
 */
function raw(request: string | Buffer, { port = server.port, keepOpen = false } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    if (keepOpen) socket.write(request);
    else socket.end(request);
  });
}

function jsonOf(response: string): unknown {
  const [head = '', ...rest] = response.split('\r\n\r\n');
  expect(head).toMatch(/\r\ncontent-type: application\/json/iu);
  return JSON.parse(rest.join('\r\n\r\n'));
}

describe('startAuthServer', () => {
  it('listens on 127.0.0.1 on a free port', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
  });

  it('serves logins to the SDK client in both encodings, tokens verifiable with the served JWKS', async () => {
    const client = createAuthClient({ baseUrl: server.url });
    const jwks = await (await fetch(`${server.url}/.well-known/jwks.json`)).json();
    for (const encoding of ['form', 'multipart'] as const) {
      const { accessToken } = await client.postJwtAuth(
        { username: demoProduct.username, password: demoProduct.password, role: 'role_product' },
        { encoding },
      );
      expect((await verifyAccessToken(accessToken, { jwks, clock })).sub).toBe(demoProduct.username);
    }
    clock.advance(30_000);
    const { accessToken } = await client.postJwtAuth({
      ...demoClient,
      twoFactorToken: codeAt(clock.now()),
      fields: '{access_token}',
    });
    expect((await verifyAccessToken(accessToken, { jwks, clock })).sub).toBe(demoClient.username);
    const failure = await client
      .postJwtAuth({ username: demoProduct.username, password: 'wrong', role: 'role_product' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AuthHttpError);
    expect(failure).toMatchObject({ status: 401, code: 'invalid_credentials' });
  });

  it('answers 413 to a chunked body over 16 KiB without Content-Length', async () => {
    const chunk = new TextEncoder().encode(`${formBody()}&pad=`);
    const filler = new Uint8Array(1024).fill(0x78);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(chunk);
        else if (sent < 40) controller.enqueue(filler);
        else controller.close();
        sent++;
      },
    });
    const response = await fetch(`${server.url}/auth/jwt`, {
      method: 'POST',
      body,
      headers: formHeaders,
      duplex: 'half',
    } as RequestInit);
    await expectError(response, 413, 'payload_too_large');
  });

  it('accepts a small chunked body', async () => {
    const bytes = new TextEncoder().encode(formBody());
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 10));
        controller.enqueue(bytes.slice(10));
        controller.close();
      },
    });
    await expectToken(
      await fetch(`${server.url}/auth/jwt`, {
        method: 'POST',
        body,
        headers: formHeaders,
        duplex: 'half',
      } as RequestInit),
    );
  });

  it('answers 413 to a declared Content-Length over 16 KiB', async () => {
    const response = await fetch(`${server.url}/auth/jwt`, {
      method: 'POST',
      body: `${formBody()}&pad=${'x'.repeat(17_000)}`,
      headers: formHeaders,
    });
    await expectError(response, 413, 'payload_too_large');
  });

  it('answers oversized headers with a JSON 400', async () => {
    const response = await fetch(`${server.url}/auth/jwt`, {
      method: 'POST',
      body: formBody(),
      headers: { ...formHeaders, 'X-Padding': 'a'.repeat(20_000) },
    });
    await expectError(response, 400, 'invalid_request');
  });

  it.each([
    ['garbage instead of a request line', 'HELLO THERE\r\n\r\n'],
    [
      'a broken chunk size',
      `POST /auth/jwt HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n`,
    ],
    [
      'both Content-Length and Transfer-Encoding',
      `POST /auth/jwt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    ],
    ['a header without a colon', `POST /auth/jwt HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n`],
    ['a NUL in a header value', `POST /auth/jwt HTTP/1.1\r\nHost: x\r\nX-Fields: a\0b\r\n\r\n`],
  ])('answers %s with a JSON 400', async (_label, request) => {
    const response = await raw(request);
    expect(response).toMatch(/^HTTP\/1\.1 400 /u);
    const body = jsonOf(response);
    assertErrorBody(body);
    expect(body.code).toBe('invalid_request');
  });

  it('answers an invalid Host header with a JSON 400', async () => {
    const response = await raw(
      `POST /auth/jwt HTTP/1.1\r\nHost: exa mple\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
    expect(response).toMatch(/^HTTP\/1\.1 400 /u);
    assertErrorBody(jsonOf(response));
  });

  it('answers a body cut short (client closes early) without crashing, and keeps serving', async () => {
    await raw(
      `POST /auth/jwt HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nusername=abc`,
    );
    await raw(
      `POST /auth/jwt HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nusername=abc`,
    );
    await expectToken(
      await fetch(`${server.url}/auth/jwt`, { method: 'POST', body: formBody(), headers: formHeaders }),
    );
  });

  it('rejects a port outside 0..65535 and a port in use', async () => {
    await expect(startAuthServer({ quiet: true, port: 70_000 })).rejects.toThrow(RangeError);
    await expect(startAuthServer({ quiet: true, port: server.port })).rejects.toThrow(/EADDRINUSE/u);
  });

  it('closes idempotently, dropping idle keep-alive connections', async () => {
    const other = await startAuthServer({ quiet: true });
    await expectToken(await fetch(`${other.url}/auth/jwt`, { method: 'POST', body: formBody(), headers: formHeaders }));
    await Promise.all([other.close(), other.close()]);
    await expect(
      fetch(`${other.url}/auth/jwt`, { method: 'POST', body: formBody(), headers: formHeaders }),
    ).rejects.toThrow();
  });
});

describe('HTTP-level oddities get the declared JSON 400, never a bare Node answer', () => {
  const login = formBody();
  const head = (lines: string) =>
    `POST /auth/jwt HTTP/1.1\r\n${lines}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${login.length}\r\n\r\n${login}`;

  it.each([
    ['an Expect other than 100-continue', head('Host: x\r\nExpect: tea\r\n')],
    ['HTTP/1.1 without Host', head('')],
    ['CONNECT', 'CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n'],
  ])('%s', async (_what, request) => {
    const answer = await raw(request);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /u);
    assertErrorBody(jsonOf(answer));
    expect(jsonOf(answer)).toMatchObject({ code: 'invalid_request' });
    // The server keeps serving.
    await expectToken(await fetch(`${server.url}/auth/jwt`, { method: 'POST', body: login, headers: formHeaders }));
  });
});

describe('a client that does not finish its request in time', () => {
  it('gets the declared 408 with a request_timeout JSON body', async () => {
    const slow = await startAuthServer({ quiet: true, requestTimeoutMs: 500 });
    try {
      // Headers promise a body that never comes.
      const answer = await raw(
        'POST /auth/jwt HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nuser',
        { port: slow.port, keepOpen: true },
      );
      expect(answer).toMatch(/^HTTP\/1\.1 408 /u);
      expect(jsonOf(answer)).toEqual({ code: 'request_timeout', message: 'The request was not received in time.' });
    } finally {
      await slow.close();
    }
  });
});
