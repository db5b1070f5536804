// Secrets never leave the reference server: sentinel passwords and API keys, the demo credentials,
// the TOTP secret, the 2FA codes used and the tokens issued never appear in a log line (the `log`
// option of one server, the console of another that logs to it by default), on stdout/stderr, in an
// error body or in any response header: across successful and failed logins, rate limiting and
// hostile input. Findings name the secret and where it was seen, never its value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type RunningAuthServer } from '@lumminary/auth-server';
import { recordCases, recordFigure } from './figures/record.js';
import {
  clientFields,
  demoClient,
  demoProduct,
  formBody,
  formType,
  jwtAuthPath,
  productFields,
  startCapturedServer,
  stepMs,
  TestClock,
  totpAt,
  type CapturedServer,
} from './support/server-harness.js';
import { captureConsole, findLeaks, type Secret, type Written } from './support/server-leaks.js';
import { rawExchange } from './support/server-raw.js';

const family = 'secrets (server)';

/** Sentinels: a password full of characters that change under encoding, identifier-like API keys and a plain password. */
const sentinel = {
  password: 'SENTINEL pw "quote" \\back %25 &amp=é+7c1f',
  apiKey: 'lk_live_SENTINELk3y9Qm2Xv7TzR4pN8sB3wY6c',
  plain: 'SentinelPlain42x',
  cookie: 'SENTINEL-cookie-5d9e0a',
};
const secrets: Secret[] = [
  { name: 'sentinel password', value: sentinel.password },
  { name: 'sentinel API key', value: sentinel.apiKey },
  { name: 'sentinel plain password', value: sentinel.plain },
  { name: 'sentinel cookie', value: sentinel.cookie },
  { name: 'demo API key', value: demoProduct.password },
  { name: 'demo client password', value: demoClient.password },
  { name: 'demo TOTP secret', value: demoClient.totpSecret },
];
/** Submitted secrets (tokens excluded): these may not even appear in a 200 body. */
const submitted = () => secrets.filter((secret) => !secret.name.startsWith('issued token'));

interface Answer {
  status: number;
  headers: string;
  text: string;
}

const clock = new TestClock();
let logged: CapturedServer;
let consoled: RunningAuthServer;
let consoleCapture: ReturnType<typeof captureConsole>;
const written: Written[] = [];
const okBodies: Written[] = [];
const statusProblems: string[] = [];
const sent = { logged: 0, consoled: 0 };

beforeAll(async () => {
  consoleCapture = captureConsole();
  const options = { clock, rateLimit: { accountFailures: 4, addressFailures: 1_000 }, requestTimeoutMs: 1_000 };
  logged = await startCapturedServer(options);
  // No `log` option: its lines go to console.log, captured above.
  consoled = await startAuthServer({ ...options, quiet: false, port: 0 });
});

afterAll(async () => {
  consoleCapture?.restore();
  await Promise.all([logged?.close(), consoled?.close()]);
});

type Target = { label: 'logged' | 'consoled'; url: string; port: number };

async function answerOf(response: Response): Promise<Answer> {
  return {
    status: response.status,
    headers: [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n'),
    text: await response.text(),
  };
}

/** Runs one request, keeps what the server answered, and checks its status (mismatches are listed by name). */
async function scenario(target: Target, name: string, expected: number[], run: () => Promise<Answer>): Promise<Answer> {
  sent[target.label]++;
  const answer = await run();
  const where = `${target.label}: ${name} (${answer.status})`;
  written.push({ where: `${where} headers`, text: answer.headers });
  if (answer.status === 200) okBodies.push({ where: `${where} body`, text: answer.text });
  else written.push({ where: `${where} body`, text: answer.text });
  if (!expected.includes(answer.status)) statusProblems.push(`${where}: expected ${expected.join('/')}`);
  return answer;
}

const post = (target: Target, body: BodyInit, headers: Record<string, string> = {}, path = jwtAuthPath) =>
  fetch(`${target.url}${path}`, { method: 'POST', body, headers, signal: AbortSignal.timeout(20_000) }).then(answerOf);
const postForm = (target: Target, fields: [string, string][], headers: Record<string, string> = {}) =>
  post(target, formBody(fields), { 'Content-Type': formType, ...headers });

async function raw(target: Target, data: string | Buffer, trickle?: string): Promise<Answer> {
  const exchange = await rawExchange({
    port: target.port,
    data,
    ...(trickle === undefined ? {} : { trickle: { piece: trickle, everyMs: 100 } }),
  });
  const first = exchange.responses[0];
  return {
    status: first?.status ?? 0,
    headers: first === undefined ? '' : [...first.headers].map(([name, value]) => `${name}: ${value}`).join('\n'),
    text: exchange.raw,
  };
}

function keepToken(target: Target, name: string, answer: Answer): void {
  if (answer.status !== 200) return;
  const token = (JSON.parse(answer.text) as { access_token: string }).access_token;
  secrets.push({ name: `issued token (${target.label}, ${name})`, value: token });
}

async function battery(target: Target): Promise<void> {
  // Successful logins: the API key, the client password, the 2FA code and the token they yield.
  keepToken(
    target,
    'form',
    await scenario(target, 'product login, form', [200], () => postForm(target, productFields())),
  );
  const multipart = new FormData();
  for (const [name, value] of productFields()) multipart.append(name, value);
  keepToken(
    target,
    'multipart',
    await scenario(target, 'product login, multipart', [200], () => post(target, multipart)),
  );
  const code = totpAt(clock.now());
  secrets.push({ name: `2FA code used (${target.label})`, value: code });
  keepToken(target, '2FA', await scenario(target, '2FA login', [200], () => postForm(target, clientFields(code))));
  const token = secrets.at(-1)?.value ?? '';

  // Failed logins.
  await scenario(target, 'replayed 2FA code', [401], () => postForm(target, clientFields(code)));
  const wrongCode = totpAt(clock.now() + 40 * stepMs);
  secrets.push({ name: `wrong 2FA code (${target.label})`, value: wrongCode });
  await scenario(target, 'wrong 2FA code', [401], () => postForm(target, clientFields(wrongCode)));
  await scenario(target, '2FA code with a wrong password', [401], () =>
    postForm(target, clientFields(totpAt(clock.now() + stepMs), sentinel.password)),
  );
  await scenario(target, 'product with a wrong password', [401], () =>
    postForm(target, productFields(sentinel.password)),
  );
  await scenario(target, 'unknown user with an API key', [401], () =>
    postForm(target, [
      ['username', '0b6f1d3e-7a52-4c8e-9f14-6d2a8b3c5e70'],
      ['password', sentinel.apiKey],
      ['role', 'role_product'],
    ]),
  );
  await scenario(target, 'a role the product lacks', [401], () =>
    postForm(target, [...productFields().slice(0, 2), ['role', 'role_admin']]),
  );
  await scenario(target, 'the issued token sent as a password', [401], () =>
    postForm(target, [
      ['username', 'eve@example.org'],
      ['password', token],
      ['role', 'role_product'],
    ]),
  );
  // Rate limiting (4 failures per account here).
  for (let attempt = 1; attempt <= 5; attempt++) {
    await scenario(target, `brute force attempt ${attempt}`, [attempt <= 4 ? 401 : 429], () =>
      postForm(target, [
        ['username', 'victim@example.org'],
        ['password', `${sentinel.plain}${attempt}`],
        ['role', 'role_product'],
      ]),
    );
    secrets.push({ name: `brute-force password ${attempt}`, value: `${sentinel.plain}${attempt}` });
  }

  // Hostile input carrying secrets in every place a request has.
  const base = formBody([
    ['username', demoProduct.username],
    ['password', sentinel.password],
    ['role', 'role_product'],
  ]);
  await scenario(target, 'an API key as the whole body', [400], () =>
    post(target, sentinel.apiKey, { 'Content-Type': formType }),
  );
  await scenario(target, 'the demo API key as the whole body', [400], () =>
    post(target, demoProduct.password, { 'Content-Type': formType }),
  );
  await scenario(target, 'an API key without "password="', [400], () =>
    post(target, `username=${demoProduct.username}&${sentinel.apiKey}&role=role_product`, { 'Content-Type': formType }),
  );
  await scenario(target, 'a plain password without "password="', [400], () =>
    post(target, `username=u&${sentinel.plain}&role=role_product`, { 'Content-Type': formType }),
  );
  await scenario(target, 'an API key as a multipart field name without a value', [400], () => {
    const form = new FormData();
    for (const [name, value] of productFields(sentinel.password)) form.append(name, value);
    form.append(sentinel.apiKey, '');
    return post(target, form);
  });
  await scenario(target, 'an API key as X-Fields', [400], () =>
    postForm(target, productFields(), { 'X-Fields': sentinel.apiKey }),
  );
  await scenario(target, 'a password as X-Fields', [400], () =>
    postForm(target, productFields(), { 'X-Fields': encodeURIComponent(sentinel.password) }),
  );
  await scenario(target, 'secrets in the query string', [401], () =>
    post(
      target,
      base,
      { 'Content-Type': formType },
      `${jwtAuthPath}?password=${encodeURIComponent(sentinel.password)}&key=${sentinel.apiKey}`,
    ),
  );
  await scenario(target, 'an API key in the path', [404], () =>
    post(target, base, { 'Content-Type': formType }, `${jwtAuthPath}/${sentinel.apiKey}`),
  );
  await scenario(target, 'secrets in Authorization, Cookie and X-Api-Key', [401], () =>
    post(target, base, {
      'Content-Type': formType,
      Authorization: `Bearer ${token}`,
      Cookie: `session=${sentinel.cookie}`,
      'X-Api-Key': sentinel.apiKey,
    }),
  );
  await scenario(target, 'an API key as the charset', [415], () =>
    post(target, base, { 'Content-Type': `${formType}; charset=${sentinel.apiKey}` }),
  );
  await scenario(target, 'a password of 1025 characters', [400], () =>
    postForm(target, productFields(`${sentinel.password}${'x'.repeat(1_025)}`)),
  );
  await scenario(target, 'a malformed percent-escape after the password', [400], () =>
    post(target, `${base}%zz`, { 'Content-Type': formType }),
  );
  await scenario(target, 'a NUL in the password', [400], () =>
    postForm(target, productFields(`${sentinel.password}\0`)),
  );
  await scenario(target, 'duplicated passwords', [400], () =>
    postForm(target, [...productFields(sentinel.password), ['password', sentinel.apiKey]]),
  );
  await scenario(target, 'a 2FA code that does not match the pattern', [400], () =>
    postForm(target, clientFields(`${code}x`)),
  );
  await scenario(target, 'JSON credentials', [415], () =>
    post(target, JSON.stringify({ username: demoProduct.username, password: sentinel.apiKey, role: 'role_product' }), {
      'Content-Type': 'application/json',
    }),
  );
  await scenario(target, 'a body over 16 KiB', [413], () =>
    post(target, `${base}&pad=${'x'.repeat(17_000)}`, { 'Content-Type': formType }),
  );
  await scenario(target, 'the password as a multipart file', [400], () => {
    const form = new FormData();
    form.append('username', demoProduct.username);
    form.append('password', new Blob([sentinel.apiKey]), sentinel.apiKey);
    form.append('role', 'role_product');
    return post(target, form);
  });
  await scenario(target, 'an API key as the method', [400], () =>
    raw(target, `${sentinel.apiKey} ${jwtAuthPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n`),
  );
  await scenario(target, 'an API key in a garbage request line', [400], () =>
    raw(target, `POST /auth/jwt ${sentinel.apiKey}\r\nHost: 127.0.0.1\r\n\r\n`),
  );
  await scenario(target, 'an API key as the Host', [400, 401], () =>
    raw(
      target,
      `POST ${jwtAuthPath} HTTP/1.1\r\nHost: ${sentinel.apiKey} x\r\nContent-Type: ${formType}\r\nContent-Length: ${base.length}\r\n\r\n${base}`,
    ),
  );
  await scenario(target, 'an API key in an oversized header', [400], () =>
    raw(
      target,
      `POST ${jwtAuthPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Key: ${sentinel.apiKey}${'k'.repeat(20_000)}\r\n\r\n`,
    ),
  );
  await scenario(target, 'an API key in a header name', [400], () =>
    raw(target, `POST ${jwtAuthPath} HTTP/1.1\r\nHost: 127.0.0.1\r\n${sentinel.apiKey} x: 1\r\n\r\n`),
  );
  await scenario(target, 'a password trickled until the request timeout', [408], () =>
    raw(
      target,
      `POST ${jwtAuthPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${formType}\r\nContent-Length: 900\r\n\r\n${base}`,
      'x',
    ),
  );
  clock.advance(stepMs);
}

describe('secrets (server)', () => {
  it('never shows up in logs, console output, error bodies or headers', async () => {
    await battery({ label: 'logged', url: logged.url, port: logged.port });
    await battery({ label: 'consoled', url: consoled.url, port: consoled.port });
    // Requests cut short finish in the app after their socket is gone: let them log.
    await new Promise((resolve) => setTimeout(resolve, 300));
    consoleCapture.restore();

    // The captures work: one log line per request at least, on each side.
    const consoleServerLines = consoleCapture.lines.filter((line) => /^(?:[A-Z]+ |\()/u.test(line));
    expect(logged.logs.length).toBeGreaterThanOrEqual(sent.logged);
    expect(consoleServerLines.length).toBeGreaterThanOrEqual(sent.consoled);
    expect(statusProblems).toEqual([]);

    const everything: Written[] = [
      ...logged.logs.map((text, index) => ({ where: `log line ${index + 1}`, text })),
      ...consoleCapture.lines.map((text, index) => ({ where: `console output ${index + 1}`, text })),
      ...written,
    ];
    const leaks = findLeaks(everything, secrets);
    const okLeaks = findLeaks(okBodies, submitted());
    recordCases(family, sent.logged + sent.consoled, leaks.length + okLeaks.length);
    recordFigure(family, 'secrets tracked', secrets.length);
    recordFigure(family, 'log and console lines checked', logged.logs.length + consoleCapture.lines.length);
    expect(leaks).toEqual([]);
    expect(okLeaks).toEqual([]);
  });

  it('looks for secrets in their encoded forms too (the check can fail)', () => {
    const probe: Secret = { name: 'probe', value: sentinel.password };
    expect(
      findLeaks([{ where: 'json', text: JSON.stringify({ errors: { [sentinel.password]: 'x' } }) }], [probe]),
    ).toEqual(['secret probe in json']);
    expect(findLeaks([{ where: 'url', text: `?p=${encodeURIComponent(sentinel.password)}` }], [probe])).toHaveLength(1);
    expect(findLeaks([{ where: 'form', text: formBody([['p', sentinel.password]]) }], [probe])).toHaveLength(1);
    expect(findLeaks([{ where: 'clean', text: 'POST /auth/jwt 401 50.1ms' }], secrets)).toEqual([]);
  });
});
