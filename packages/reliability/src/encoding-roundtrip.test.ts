// Encoding round trip: for arbitrary Unicode usernames and passwords (within what the spec allows),
// both request encodings deliver them byte-exact to a loopback capture server, which parses each
// body with maintained parsers (undici's Request.formData(), URLSearchParams) and byte by byte.
// Values the SDK must refuse (empty, too long, unpaired surrogates, a bare CR/LF in multipart) never
// reach the wire. A few awkward credentials also log in to the reference server, in both encodings.
import { AuthInputError, createAuthClient, type LoginInput } from '@lumminary/auth-sdk';
import { hashSecret, type RunningAuthServer, startAuthServer } from '@lumminary/auth-server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordCases, recordFigure } from './figures/record.js';
import { type CapturedRequest, startCaptureServer } from './support/client-loopback.js';

const family = 'encoding round trip';
const runsPerEncoding = 250;
const refusalRuns = 150;
const usernameMax = 320;
const passwordMax = 1024;

type Encoding = 'form' | 'multipart';

let capture: Awaited<ReturnType<typeof startCaptureServer>>;
let tried = 0;
let failures = 0;
const runs = { form: 0, multipart: 0, refused: 0 };
let longestPassword = 0;
let largestBody = 0;

beforeAll(async () => {
  capture = await startCaptureServer(() => ({ status: 200, body: '{"access_token":"eyJ.eyJ.sig"}' }));
});

afterAll(async () => {
  await capture?.close();
  recordCases(family, tried, failures);
  recordFigure(family, 'round trips, form', runs.form);
  recordFigure(family, 'round trips, multipart', runs.multipart);
  recordFigure(family, 'refused inputs (never sent)', runs.refused);
  recordFigure(family, 'longest password sent (code points)', longestPassword);
  recordFigure(family, 'largest body (bytes)', largestBody);
});

/** Counts one generated case; a failing case (also while shrinking) counts as a failure. */
async function counted(body: () => Promise<void>): Promise<void> {
  tried++;
  try {
    await body();
  } catch (error) {
    failures++;
    throw error;
  }
}

const codePoints = (value: string) => [...value].length;
/** The SDK's multipart rule: a CR or LF outside a CRLF pair would be rewritten and a leading U+FEFF dropped, so both are refused. */
const bareLineBreak = /\r(?!\n)|(?<!\r)\n|^\uFEFF/u;

/** Awkward pieces: form and URL syntax, whitespace, line breaks, NUL, combining marks, emoji, bidi, BOM. */
const awkward = [
  '&',
  '=',
  '+',
  '%',
  '%20',
  '%zz',
  '%%',
  ' ',
  '  ',
  '\t',
  '\r\n',
  '\0',
  '"',
  "'",
  '\\',
  ';',
  '?',
  '#',
  '/',
  '@',
  '*',
  '~',
  '--',
  '\r\n--',
  'name="password"',
  'Content-Disposition: form-data; name="role"',
  'é',
  'e\u0301',
  'ß',
  'İ',
  'Ω',
  'Å',
  '日本語',
  '😀',
  '👩‍👩‍👧‍👦',
  '🇫🇷',
  '\u200B',
  '\u200D',
  '\u202E',
  '\uFEFF',
  '\uFFFD',
  '\u{10FFFF}',
  '\u{E0001}',
  '\u007F',
  '\u0085',
  '\u2028',
];

/** Strings up to `max` code points, biased towards the awkward, the long and the astral. */
function credential(max: number, extraPieces: readonly string[] = []) {
  const piece = fc.constantFrom(...awkward, ...extraPieces);
  return fc
    .oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: max, size: 'medium' }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: max, size: 'medium' }),
      fc.string({ unit: fc.oneof(piece, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), minLength: 1 }),
      fc.string({ unit: 'binary', minLength: max - 3, maxLength: max, size: 'max' }),
      fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: max, size: 'large' }),
    )
    .filter((value) => value.length > 0 && codePoints(value) <= max && value.isWellFormed());
}

const twoFactor = fc.option(fc.stringMatching(/^[0-9]{6,8}$/u), { nil: undefined });

/** The form the SDK sends, in the spec's order, optional field left out when not given. */
function expectedEntries(input: LoginInput): [string, string][] {
  const entries: [string, string][] = [
    ['username', input.username],
    ['password', input.password],
    ['role', input.role],
  ];
  if (input.twoFactorToken !== undefined) entries.push(['2FA-token', input.twoFactorToken]);
  return entries;
}

/** Percent-decodes one form component to bytes ('+' is a space), refusing anything outside the form's alphabet. */
function formComponentBytes(component: string): Buffer {
  expect(component).toMatch(/^(?:[A-Za-z0-9*\-._+]|%[0-9A-F]{2})*$/u);
  const bytes: number[] = [];
  for (let i = 0; i < component.length; i++) {
    const char = component[i];
    if (char === '+') bytes.push(0x20);
    else if (char === '%') {
      bytes.push(Number.parseInt(component.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(component.charCodeAt(i));
  }
  return Buffer.from(bytes);
}

/** The parts of a multipart body, byte by byte: name (from Content-Disposition) and raw value bytes. */
function multipartParts(body: Buffer, contentType: string): [string, Buffer][] {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/u.exec(contentType);
  expect(boundary).not.toBeNull();
  const delimiter = Buffer.from(`--${boundary?.[1] ?? boundary?.[2]}`);
  const parts: [string, Buffer][] = [];
  let at = body.indexOf(delimiter);
  expect(at).toBe(0);
  for (;;) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break; // the closing delimiter
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), start);
    expect(next).toBeGreaterThan(start);
    const part = body.subarray(start + 2, next); // after the CRLF that ends the delimiter line
    const headEnd = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, headEnd).toString('utf8');
    const name = /^Content-Disposition: form-data; name="([^"]*)"$/imu.exec(head)?.[1];
    expect(name).toBeDefined();
    parts.push([name ?? '', part.subarray(headEnd + 4)]);
    at = next + 2;
  }
  return parts;
}

/** Parses a captured body the way a server would, with undici's multipart and urlencoded parsers. */
async function parsedWithUndici(request: CapturedRequest): Promise<[string, string][]> {
  const parsed = await new Request('http://127.0.0.1/', {
    method: 'POST',
    headers: { 'content-type': String(request.headers['content-type']) },
    body: new Uint8Array(request.body),
  }).formData();
  return [...parsed.entries()].map(([name, value]) => {
    expect(typeof value).toBe('string');
    return [name, String(value)];
  });
}

/** Sends one login and checks every way of reading what arrived. */
async function roundTrip(input: LoginInput, encoding: Encoding): Promise<void> {
  const client = createAuthClient({ baseUrl: capture.url, timeoutMs: 5_000 });
  const before = capture.requests.length;
  await client.postJwtAuth(input, { encoding });
  expect(capture.requests.length).toBe(before + 1);
  const request = capture.requests[before];
  if (request === undefined) throw new Error('no request captured');
  const entries = expectedEntries(input);
  const contentType = String(request.headers['content-type']);
  expect(request.method).toBe('POST');
  expect(request.url).toBe('/auth/jwt');
  expect(request.headers['content-length']).toBe(String(request.body.length));

  const parsed = await parsedWithUndici(request);
  expect(parsed.map(([name]) => name)).toEqual(entries.map(([name]) => name));
  parsed.forEach(([, value], index) => {
    const sent = entries[index]?.[1] ?? '';
    expect(value).toBe(sent);
  });
  if (encoding === 'form') {
    expect(contentType).toBe('application/x-www-form-urlencoded');
    const text = request.body.toString('latin1');
    expect([...new URLSearchParams(text)]).toEqual(entries);
    const pairs = text.split('&').map((pair) => pair.split('='));
    expect(pairs.map(([name = '', value = '']) => [name, formComponentBytes(value)])).toEqual(
      entries.map(([name, value]) => [name, Buffer.from(value, 'utf8')]),
    );
  } else {
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/u);
    expect(multipartParts(request.body, contentType)).toEqual(
      entries.map(([name, value]) => [name, Buffer.from(value, 'utf8')]),
    );
  }
  runs[encoding]++;
  longestPassword = Math.max(longestPassword, codePoints(input.password));
  largestBody = Math.max(largestBody, request.body.length);
}

describe.each(['form', 'multipart'] as const)('%s encoding', (encoding) => {
  /** Multipart refuses a bare CR or LF and a leading U+FEFF by design; form sends them. */
  const allowed = (value: string) => encoding === 'form' || !bareLineBreak.test(value);
  const lineBreaks = encoding === 'form' ? ['\r', '\n', '\n\r', 'a\rb'] : [];

  it('explicit awkward examples arrive byte-exact', async () => {
    const examples: LoginInput[] = [
      { username: 'a&b=c+d%25e f', password: 'p&q=r+s%t u', role: 'role_product' },
      { username: 'ada.lovelace@example.org', password: '%2B%26%3D', role: 'role_product', twoFactorToken: '012345' },
      { username: 'x', password: 'line one\r\nline two\r\n', role: 'r' },
      { username: '😀'.repeat(usernameMax), password: '👩‍👩‍👧‍👦'.repeat(7), role: 'role_product' },
      { username: 'u', password: '\u{10FFFF}'.repeat(passwordMax), role: 'role_product', twoFactorToken: '00000000' },
      { username: 'nul\0inside', password: '\0', role: 'role_product' },
      { username: 'e\u0301 vs é', password: '\u212B (angstrom sign) vs \u00C5', role: 'role_product' },
      {
        username: '--',
        password: '\r\n--boundary\r\nContent-Disposition: form-data; name="role"\r\n\r\nx',
        role: 'a_1',
      },
      { username: ' leading and trailing ', password: '\t\u00A0\u2028\uFEFF', role: 'role_product' },
      ...(encoding === 'form' ? [{ username: '\uFEFFbom first', password: '\uFEFF\uFEFF', role: 'role_product' }] : []),
      ...lineBreaks.map((breaks) => ({
        username: `a${breaks}b`,
        password: `${breaks}pw${breaks}`,
        role: 'role_product',
      })),
    ];
    for (const example of examples) {
      await counted(() => roundTrip(example, encoding));
    }
  });

  it(`${runsPerEncoding} generated usernames and passwords arrive byte-exact`, async () => {
    await fc.assert(
      fc.asyncProperty(
        credential(usernameMax, lineBreaks).filter(allowed),
        credential(passwordMax, lineBreaks).filter(allowed),
        twoFactor,
        (username, password, twoFactorToken) =>
          counted(() => roundTrip({ username, password, role: 'role_product', twoFactorToken }, encoding)),
      ),
      { numRuns: runsPerEncoding },
    );
  });
});

describe('inputs the spec does not allow are refused before anything is sent', () => {
  /** Strings that may be empty, too long, hold an unpaired surrogate or a bare line break. */
  function anything(max: number) {
    const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));
    const piece = fc.oneof(fc.string({ unit: 'binary', maxLength: 1 }), surrogate, fc.constantFrom('\r', '\n', '\r\n'));
    return fc.oneof(
      fc.constant(''),
      fc.string({ unit: piece, maxLength: 12 }),
      fc.string({ unit: 'binary', minLength: max - 2, maxLength: max + 2, size: 'max' }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
    );
  }

  /** What the SDK must refuse first: each field's own rules in form order, then multipart's line-break rule. */
  function refusal(username: string, password: string, encoding: Encoding) {
    const fields = [
      { field: 'username', value: username, max: usernameMax },
      { field: 'password', value: password, max: passwordMax },
    ];
    for (const { field, value, max } of fields) {
      if (value.length === 0) return { field, problem: 'must not be empty' };
      if (codePoints(value) > max) return { field, problem: `must be at most ${max} characters` };
      if (!value.isWellFormed()) return { field, problem: 'unpaired UTF-16 surrogates' };
    }
    for (const { field, value } of fields) {
      if (encoding === 'multipart' && bareLineBreak.test(value)) return { field, problem: 'leading U+FEFF' };
    }
    return undefined;
  }

  it(`${refusalRuns} generated inputs: sent byte-exact when allowed, else AuthInputError naming the field and nothing on the wire`, async () => {
    await fc.assert(
      fc.asyncProperty(
        anything(usernameMax),
        anything(passwordMax),
        fc.constantFrom<Encoding>('form', 'multipart'),
        (username, password, encoding) =>
          counted(async () => {
            const input = { username, password, role: 'role_product' };
            const expected = refusal(username, password, encoding);
            if (expected === undefined) {
              await roundTrip(input, encoding);
              return;
            }
            const before = capture.requests.length;
            const client = createAuthClient({ baseUrl: capture.url });
            const error = await client.postJwtAuth(input, { encoding }).then(
              () => undefined,
              (caught: unknown) => caught,
            );
            expect(error).toBeInstanceOf(AuthInputError);
            expect((error as AuthInputError).field).toBe(expected.field);
            expect((error as AuthInputError).problem).toContain(expected.problem);
            expect(capture.requests.length).toBe(before);
            runs.refused++;
          }),
      ),
      { numRuns: refusalRuns },
    );
  });
});

describe('the reference server accepts awkward credentials sent either way', () => {
  // NUL is refused by the reference server (its rule, not the spec's), so it is left out here.
  const accounts: LoginInput[] = [
    { username: 'a&b=c+d%25e f@example.org', password: 'p&q=r+s%t u', role: 'role_product' },
    { username: 'émoji-😀-👩‍👩‍👧‍👦@example.org', password: '🇫🇷 e\u0301 ß 日本語 \u202E', role: 'role_product' },
    { username: 'crlf@example.org', password: 'line one\r\nline two', role: 'role_product' },
    { username: 'astral@example.org', password: '\u{10FFFF}'.repeat(passwordMax), role: 'role_product' },
    {
      username: '--@example.org',
      password: '\r\n--x\r\nContent-Disposition: form-data; name="role"',
      role: 'role_product',
    },
  ];
  let reference: RunningAuthServer;

  beforeAll(async () => {
    const records = await Promise.all(
      accounts.map(async ({ username, password }) => ({
        username,
        roles: ['role_product'],
        secret: await hashSecret(password, { N: 1024, r: 8, p: 1 }),
      })),
    );
    reference = await startAuthServer({ quiet: true, port: 0, accounts: { accounts: records } });
  });

  afterAll(async () => {
    await reference?.close();
  });

  it.each(['form', 'multipart'] as const)('%s: every awkward account logs in', async (encoding) => {
    const client = createAuthClient({ baseUrl: reference.url });
    for (const account of accounts) {
      await counted(async () => {
        const { accessToken } = await client.postJwtAuth(account, { encoding });
        const claims = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
        expect(claims.sub).toBe(account.username);
      });
    }
  });
});
