// `lumminary-auth token` failures: each class of failure has its exit code and one line on stderr that
// never holds a secret (runCli checks every run's stderr against every secret the tests know).
import { startAuthServer, type RunningAuthServer } from '@lumminary/auth-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closedPortUrl,
  codeAt,
  demoClient,
  demoProduct,
  expectNoSecrets,
  knownSecrets,
  runCli,
  startFakeServer,
  startSilentServer,
  stepMs,
  TestClock,
  type FakeServer,
} from './test-support/cli.js';

/** A made-up password with characters that change when form- or URI-encoded. */
const wrongPassword = 'wr0ng p@ss/word+%&="x"';
knownSecrets.add(wrongPassword);

const productEnv = { LUMMINARY_PASSWORD: demoProduct.apiKey };
const productArgs = (url: string) => ['token', '--base-url', url, '--username', demoProduct.username];
const clientArgs = (url: string) => ['token', '--base-url', url, '--username', demoClient.username];

/** The body with form-encoding undone when it is form-encoded (multipart bodies are raw already). */
function decoded(body: string): string {
  try {
    return decodeURIComponent(body.replaceAll('+', ' '));
  } catch {
    return body;
  }
}

/** A 2FA code that is none of the codes valid within ±2 steps of `ms`. */
function wrongCodeAt(ms: number): string {
  const near = [-2, -1, 0, 1, 2].map((step) => codeAt(ms + step * stepMs));
  const code = ['000000', '111111', '222222'].find((candidate) => !near.includes(candidate));
  if (code === undefined) throw new Error('no wrong code found');
  return code;
}

describe('the secret check of these tests', () => {
  it('catches a secret in stderr, also form- or URI-encoded', () => {
    expect(() => expectNoSecrets(`oops ${demoProduct.apiKey}`)).toThrow(/holds a secret/u);
    expect(() => expectNoSecrets(`oops ${encodeURIComponent(wrongPassword)}`)).toThrow(/holds a secret/u);
    expect(() => expectNoSecrets(`oops ${new URLSearchParams({ p: demoClient.password }).toString()}`)).toThrow(
      /holds a secret/u,
    );
    expect(() => expectNoSecrets('lumminary-auth: login refused')).not.toThrow();
  });
});

describe('failures against the reference server', () => {
  let server: RunningAuthServer;
  let clock: TestClock;
  beforeAll(async () => {
    clock = new TestClock();
    server = await startAuthServer({ quiet: true, port: 0, clock });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => {
    // Past the 5-minute rate-limit window and into a fresh TOTP step.
    clock.advance(10 * stepMs + 300_000);
  });

  it('a wrong API key or password exits 3', async () => {
    for (const args of [productArgs(server.url), clientArgs(server.url)]) {
      const result = await runCli(args, { env: { LUMMINARY_PASSWORD: wrongPassword }, now: clock.now });
      expect(result).toMatchObject({ code: 3, stdout: '' });
      expect(result.stderr).toMatch(
        /login refused: wrong username, password\/API key or role \(HTTP 401 invalid_credentials\)/u,
      );
    }
    const stdin = await runCli([...productArgs(server.url), '--password-stdin'], { stdin: `${wrongPassword}\n` });
    expect(stdin.code).toBe(3);
  });

  it('an unknown username exits 3', async () => {
    const result = await runCli(['token', '--base-url', server.url, '--username', 'nobody@example.org'], {
      env: productEnv,
    });
    expect(result.code).toBe(3);
  });

  it('a missing 2FA code exits 4 and says how to give one', async () => {
    const result = await runCli(clientArgs(server.url), {
      env: { LUMMINARY_PASSWORD: demoClient.password },
      now: clock.now,
    });
    expect(result).toMatchObject({ code: 4, stdout: '' });
    expect(result.stderr).toMatch(/needs a 2FA code: pass --totp-code <digits> or set LUMMINARY_TOTP_SECRET/u);
    expect(result.stderr).toMatch(/HTTP 401 invalid_two_factor_token/u);
  });

  it('a wrong --totp-code exits 4 without showing it', async () => {
    const wrongCode = wrongCodeAt(clock.ms);
    knownSecrets.add(wrongCode);
    const result = await runCli([...clientArgs(server.url), '--totp-code', wrongCode], {
      env: { LUMMINARY_PASSWORD: demoClient.password },
      now: clock.now,
    });
    expect(result).toMatchObject({ code: 4, stdout: '' });
    expect(result.stderr).toMatch(/2FA code refused/u);
  });

  it('a code generated from the wrong TOTP secret exits 4', async () => {
    const otherSecret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    knownSecrets.add(otherSecret);
    knownSecrets.add(codeAt(clock.ms, otherSecret));
    const result = await runCli(clientArgs(server.url), {
      env: { LUMMINARY_PASSWORD: demoClient.password, LUMMINARY_TOTP_SECRET: otherSecret },
      now: clock.now,
    });
    expect(result.code).toBe(4);
  });

  it('the right code with a wrong password is bad credentials (3), not a 2FA failure', async () => {
    const code = codeAt(clock.ms);
    knownSecrets.add(code);
    const result = await runCli([...clientArgs(server.url), '--totp-code', code], {
      env: { LUMMINARY_PASSWORD: wrongPassword },
      now: clock.now,
    });
    expect(result.code).toBe(3);
  });
});

describe('rate limiting', () => {
  it('exits 5 once the server answers 429, with the Retry-After wait in the message', async () => {
    const clock = new TestClock();
    const server = await startAuthServer({
      quiet: true,
      port: 0,
      clock,
      rateLimit: { accountFailures: 2, windowMs: 120_000 },
    });
    try {
      for (let i = 0; i < 2; i++) {
        expect((await runCli(productArgs(server.url), { env: { LUMMINARY_PASSWORD: wrongPassword } })).code).toBe(3);
      }
      // Now even the right key is refused until the window slides; the clock has not moved: 120 s.
      const limited = await runCli(productArgs(server.url), { env: productEnv });
      expect(limited).toMatchObject({ code: 5, stdout: '' });
      expect(limited.stderr).toMatch(
        /rate limited: too many failed logins; retry after 120 s \(HTTP 429 too_many_requests\)/u,
      );
      clock.advance(100_000);
      expect((await runCli(productArgs(server.url), { env: productEnv })).stderr).toMatch(/retry after 20 s/u);
      clock.advance(20_000);
      expect((await runCli(productArgs(server.url), { env: productEnv })).code).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('exits 5 for a 429 without Retry-After and says so', async () => {
    const fake = await startFakeServer((_request, _body, response) => {
      response.writeHead(429, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ code: 'too_many_requests', message: 'Slow down.' }));
    });
    try {
      const result = await runCli(productArgs(fake.url), { env: productEnv });
      expect(result.code).toBe(5);
      expect(result.stderr).toMatch(/retry later \(the server gave no Retry-After\)/u);
    } finally {
      await fake.close();
    }
  });
});

describe('no answer', () => {
  it('a refused connection exits 6', async () => {
    const url = await closedPortUrl();
    const result = await runCli(productArgs(url), { env: productEnv });
    expect(result).toMatchObject({ code: 6, stdout: '' });
    expect(result.stderr).toBe(`lumminary-auth: could not reach ${url} (ECONNREFUSED)\n`);
  });

  it('a server that never answers exits 6 after --timeout', async () => {
    const silent = await startSilentServer();
    try {
      const started = performance.now();
      const result = await runCli([...productArgs(silent.url), '--timeout', '300'], { env: productEnv });
      const elapsed = performance.now() - started;
      expect(result).toMatchObject({ code: 6, stdout: '' });
      expect(result.stderr).toBe(`lumminary-auth: no answer from ${silent.url} within 300 ms (see --timeout)\n`);
      expect(silent.connections()).toBe(1);
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(5_000);
    } finally {
      await silent.close();
    }
  });
});

describe('other server and protocol errors exit 7', () => {
  let fake: FakeServer;
  let answer: { status: number; headers: Record<string, string>; body: (requestBody: string) => string };
  beforeAll(async () => {
    fake = await startFakeServer((_request, body, response) => {
      response.writeHead(answer.status, answer.headers);
      response.end(answer.body(body));
    });
  });
  afterAll(async () => {
    await fake.close();
  });

  const json = { 'Content-Type': 'application/json' };
  const html = { 'Content-Type': 'text/html; charset=utf-8' };

  it('a 500 with the spec error body', async () => {
    answer = {
      status: 500,
      headers: json,
      body: () => JSON.stringify({ code: 'internal_error', message: 'The server failed.' }),
    };
    const result = await runCli(productArgs(fake.url), { env: productEnv });
    expect(result).toMatchObject({ code: 7, stdout: '' });
    expect(result.stderr).toBe('lumminary-auth: server error: HTTP 500 internal_error\n');
  });

  it('an HTML error page (a proxy) and a 401 without the spec body', async () => {
    answer = { status: 502, headers: html, body: () => '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    const gateway = await runCli(productArgs(fake.url), { env: productEnv });
    expect(gateway.code).toBe(7);
    expect(gateway.stderr).toBe("lumminary-auth: server error: HTTP 502, not the API's JSON error\n");

    answer = { status: 401, headers: json, body: () => JSON.stringify({ message: 'Unauthorized' }) };
    expect((await runCli(productArgs(fake.url), { env: productEnv })).code).toBe(7);
  });

  it('a 503 with Retry-After gives the wait', async () => {
    answer = { status: 503, headers: { ...html, 'Retry-After': '7' }, body: () => '<p>maintenance</p>' };
    const result = await runCli(productArgs(fake.url), { env: productEnv });
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/HTTP 503.*; retry after 7 s\n$/u);
  });

  it('a 200 with HTML or without an access_token (AuthProtocolError)', async () => {
    answer = { status: 200, headers: html, body: () => '<html>Welcome</html>' };
    const htmlResult = await runCli(productArgs(fake.url), { env: productEnv });
    expect(htmlResult).toMatchObject({ code: 7, stdout: '' });
    expect(htmlResult.stderr).toBe(
      'lumminary-auth: unusable response from the server (HTTP 200): the body is not valid JSON\n',
    );

    answer = { status: 200, headers: json, body: () => JSON.stringify({ token: 'x' }) };
    const noToken = await runCli([...productArgs(fake.url), '--json'], { env: productEnv });
    expect(noToken).toMatchObject({ code: 7, stdout: '' });
    expect(noToken.stderr).toMatch(/has no non-empty access_token/u);
  });

  it('a server echoing the submitted form back never gets a secret into the message', async () => {
    const code = '20260417';
    knownSecrets.add(code);
    const echoes: (typeof answer)[] = [
      {
        status: 400,
        headers: json,
        body: (body) => JSON.stringify({ code: 'invalid_request', message: `bad form: ${body}`, errors: { body } }),
      },
      { status: 401, headers: json, body: (body) => JSON.stringify({ code: 'invalid_credentials', message: body }) },
      { status: 500, headers: html, body: (body) => `<pre>${body} ${decoded(body)}</pre>` },
      { status: 200, headers: json, body: (body) => JSON.stringify({ error: body, access: decoded(body) }) },
      { status: 200, headers: html, body: (body) => body },
    ];
    const codes: number[] = [];
    for (const echo of echoes) {
      answer = echo;
      for (const extra of [[], ['--multipart']]) {
        const before = fake.bodies.length;
        const result = await runCli([...productArgs(fake.url), '--totp-code', code, ...extra], {
          env: { LUMMINARY_PASSWORD: wrongPassword },
        });
        codes.push(result.code);
        // The secrets did reach the fake server, so the check on stderr is not vacuous.
        const sent = fake.bodies[before] ?? '';
        expect(sent.includes(code)).toBe(true);
        expect(decoded(sent).includes(wrongPassword)).toBe(true);
      }
    }
    expect(codes).toEqual([7, 7, 3, 3, 7, 7, 7, 7, 7, 7]);
  });
});

describe('unexpected failures', () => {
  it('exit 1 with a generic message that never quotes the error', async () => {
    const server = await startAuthServer({ quiet: true, port: 0 });
    try {
      let written = '';
      const result = await runCli(productArgs(server.url), {
        env: productEnv,
        stdout: {
          write(text: string) {
            written = text;
            // E.g. EPIPE: the error quotes what could not be written, i.e. the token.
            throw new Error(`EPIPE: broken pipe, could not write ${text}`);
          },
        },
      });
      expect(written).toMatch(/^eyJ/u);
      knownSecrets.add(written.trimEnd());
      expectNoSecrets(result.stderr);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        'lumminary-auth: unexpected error (Error); details are not shown as they could hold secrets\n',
      );
    } finally {
      await server.close();
    }
  });
});
