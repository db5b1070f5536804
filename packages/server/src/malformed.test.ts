// A table of malformed requests: each gets a declared 4xx with a JSON error body of the spec's shape,
// never echoes a submitted secret, and leaves the server able to log the demo accounts in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAuthApp } from './app.js';
import type { ErrorCode } from './errors.js';
import {
  assertErrorBody,
  clientFields,
  codeAt,
  demoProduct,
  expectError,
  expectToken,
  login,
  productFields,
  stepMs,
  t0,
  TestClock,
} from './test-support/demo.js';

const secret = 'SENTINEL-secret-7f3a'; // submitted as the password in every row that has one
const form = 'application/x-www-form-urlencoded';
const boundary = 'XyZ-boundary-42';
const multipartType = `multipart/form-data; boundary=${boundary}`;
const utf8 = (text: string) => new TextEncoder().encode(text);
const bytes = (...parts: (string | number[])[]) => {
  const chunks = parts.map((part) => (typeof part === 'string' ? utf8(part) : Uint8Array.from(part)));
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
};
const enc = encodeURIComponent;
const fields = (entries: [string, string][]) => entries.map(([name, value]) => `${enc(name)}=${enc(value)}`).join('&');
const base: [string, string][] = [
  ['username', demoProduct.username],
  ['password', secret],
  ['role', 'role_product'],
];
const withField = (name: string, value: string) => fields([...base, [name, value]]);
const replace = (name: string, value: string) => fields(base.map(([n, v]) => [n, n === name ? value : v]));
const without = (name: string) => fields(base.filter(([n]) => n !== name));
const part = (name: string, value: string | number[], extra = '') =>
  [`--${boundary}\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n\r\n`, value, '\r\n'] as (
    | string
    | number[]
  )[];
const multipart = (...parts: (string | number[])[][]) => bytes(...parts.flat(), `--${boundary}--\r\n`);
const baseParts = () => base.map(([name, value]) => part(name, value));
const wrongCode =
  ['000000', '111111', '222222'].find((code) => ![-1, 0, 1].some((d) => codeAt(t0 + d * stepMs) === code)) ?? '333333';

interface Row {
  name: string;
  body?: string | Uint8Array<ArrayBuffer>;
  contentType?: string | undefined;
  headers?: Record<string, string>;
  status: 400 | 401 | 413 | 415 | 429;
  code: ErrorCode;
  /** The `errors` keys expected (400 only). */
  errorKeys?: string[];
  /** What the (first) expected key's message must say. */
  problem?: RegExp;
}

const table: Row[] = [
  // urlencoded: presence, emptiness, length, pattern
  {
    name: 'empty body',
    body: '',
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['username', 'password', 'role'],
  },
  {
    name: 'no body at all',
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['username', 'password', 'role'],
  },
  {
    name: 'missing username',
    body: without('username'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['username'],
  },
  {
    name: 'missing password',
    body: without('password'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['password'],
    problem: /Missing/u,
  },
  {
    name: 'missing role',
    body: without('role'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['role'],
  },
  {
    name: 'empty username',
    body: replace('username', ''),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['username'],
    problem: /empty/u,
  },
  {
    name: 'empty password',
    body: replace('password', ''),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['password'],
  },
  {
    name: 'empty role',
    body: replace('role', ''),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['role'],
  },
  {
    name: 'username of 321 characters',
    body: replace('username', `${'u'.repeat(309)}@example.org`),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['username'],
    problem: /at most 320/u,
  },
  {
    name: 'username of 321 astral characters',
    body: replace('username', '😀'.repeat(321)),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['username'],
  },
  {
    name: 'password of 1025 characters',
    body: replace('password', `${secret}${'p'.repeat(1025 - secret.length)}`),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['password'],
    problem: /at most 1024/u,
  },
  {
    name: 'role of 65 characters',
    body: replace('role', `r${'_'.repeat(64)}`),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['role'],
  },
  {
    name: 'role in upper case',
    body: replace('role', 'ROLE_PRODUCT'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['role'],
    problem: /pattern/u,
  },
  {
    name: 'role with a space',
    body: replace('role', 'role product'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['role'],
  },
  {
    name: 'role starting with a digit',
    body: replace('role', '1role'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['role'],
  },
  {
    name: '2FA-token with letters',
    body: withField('2FA-token', '12ab56'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['2FA-token'],
  },
  {
    name: '2FA-token of 5 digits',
    body: withField('2FA-token', '12345'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['2FA-token'],
  },
  {
    name: '2FA-token of 9 digits',
    body: withField('2FA-token', '123456789'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['2FA-token'],
  },
  {
    name: 'empty 2FA-token',
    body: withField('2FA-token', ''),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['2FA-token'],
  },
  {
    name: '2FA-token with Arabic-Indic digits',
    body: withField('2FA-token', '١٢٣٤٥٦'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['2FA-token'],
  },
  {
    name: '2FA-token with a trailing newline',
    body: withField('2FA-token', '123456\n'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['2FA-token'],
  },
  // urlencoded: duplicates and unknown names
  {
    name: 'duplicated username',
    body: withField('username', 'other@example.org'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['username'],
    problem: /Duplicated/u,
  },
  {
    name: 'duplicated password',
    body: withField('password', secret),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['password'],
    problem: /Duplicated/u,
  },
  {
    name: 'duplicated role',
    body: withField('role', 'role_product'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['role'],
    problem: /Duplicated/u,
  },
  {
    name: 'duplicated 2FA-token',
    body: `${withField('2FA-token', '123456')}&2FA-token=654321`,
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['2FA-token'],
    problem: /Duplicated/u,
  },
  {
    name: 'unknown field',
    body: withField('remember_me', '1'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['remember_me'],
    problem: /Unknown field/u,
  },
  {
    name: 'the SDK name instead of the wire name',
    body: withField('_2_fa_token', '123456'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['_2_fa_token'],
  },
  {
    name: 'array-style field name',
    body: withField('username[]', 'x'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['username[]'],
  },
  {
    name: 'field name that is not echoed',
    body: withField('pass word', 'x'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
  },
  {
    name: 'empty field name',
    body: `${fields(base)}&=x`,
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
  },
  {
    name: '2000 unknown fields',
    body: `${fields(base)}&${Array.from({ length: 2000 }, (_, i) => `f${i}=1`).join('&')}`,
    contentType: form,
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a secret as a field name is not echoed',
    body: `${fields(base)}&${enc(`${secret} x`)}`,
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
  },
  // urlencoded: encodings, NUL
  {
    name: 'malformed percent-escape',
    body: `${without('password')}&password=${secret}%zz`,
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
    problem: /percent/u,
  },
  {
    name: 'lone percent sign at the end',
    body: `${without('password')}&password=${secret}%`,
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
  },
  {
    name: 'percent-escapes that are not UTF-8',
    body: `${without('password')}&password=${secret}%C3%28`,
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
    problem: /percent/u,
  },
  {
    name: 'percent-escaped 0xFF',
    body: `${without('password')}&password=%FF${secret}`,
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
    problem: /percent/u,
  },
  {
    name: 'percent-escaped overlong UTF-8',
    body: `${without('password')}&password=%C0%AF${secret}`,
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
    problem: /percent/u,
  },
  {
    name: 'percent-escaped lone surrogate',
    body: `${without('password')}&password=%ED%A0%80${secret}`,
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
    problem: /percent/u,
  },
  {
    name: 'raw invalid UTF-8 byte',
    body: bytes(`${without('password')}&password=${secret}`, [0xff]),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
    problem: /UTF-8/u,
  },
  {
    name: 'escaped NUL in the username',
    body: replace('username', `${demoProduct.username}\0`),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['username'],
    problem: /NUL/u,
  },
  {
    name: 'raw NUL byte in the password',
    body: bytes(`${without('password')}&password=${secret}`, [0], 'x'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['password'],
    problem: /NUL/u,
  },
  {
    name: 'NUL in the role',
    body: replace('role', 'role_product\0'),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['role'],
    problem: /NUL/u,
  },
  {
    name: 'JSON sent as a form',
    body: JSON.stringify({ username: demoProduct.username, password: secret, role: 'role_product' }),
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['username', 'password', 'role', 'body'],
  },
  { name: 'only separators', body: '&&&=&+&', contentType: form, status: 400, code: 'invalid_request' },
  // content types
  {
    name: 'JSON with its content type',
    body: JSON.stringify({ username: demoProduct.username, password: secret, role: 'role_product' }),
    contentType: 'application/json',
    status: 415,
    code: 'unsupported_media_type',
  },
  { name: 'text/plain', body: fields(base), contentType: 'text/plain', status: 415, code: 'unsupported_media_type' },
  {
    name: 'no Content-Type',
    body: utf8(fields(base)),
    contentType: undefined,
    status: 415,
    code: 'unsupported_media_type',
  },
  { name: 'empty Content-Type', body: fields(base), contentType: '', status: 415, code: 'unsupported_media_type' },
  {
    name: 'form with charset ISO-8859-1',
    body: fields(base),
    contentType: `${form}; charset=ISO-8859-1`,
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'content type with a suffix',
    body: fields(base),
    contentType: `${form}x`,
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'multipart/mixed',
    body: multipart(...baseParts()),
    contentType: `multipart/mixed; boundary=${boundary}`,
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'application/xml',
    body: '<login/>',
    contentType: 'application/xml',
    status: 415,
    code: 'unsupported_media_type',
  },
  // sizes
  {
    name: 'body of 16385 bytes',
    body: `${fields(base)}&pad=${'x'.repeat(16385 - fields(base).length - 5)}`,
    contentType: form,
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'body of 16384 bytes is read (and refused as a form)',
    body: `${fields(base)}&pad=${'x'.repeat(16384 - fields(base).length - 5)}`,
    contentType: form,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['pad'],
  },
  { name: 'body of 1 MiB', body: 'x'.repeat(1 << 20), contentType: form, status: 413, code: 'payload_too_large' },
  {
    name: 'multipart body of 20 KiB',
    body: multipart(...baseParts(), part('pad', 'x'.repeat(20 * 1024))),
    contentType: multipartType,
    status: 413,
    code: 'payload_too_large',
  },
  // X-Fields header
  {
    name: 'empty X-Fields',
    body: fields(base),
    contentType: form,
    headers: { 'X-Fields': '' },
    status: 400,
    code: 'invalid_request',
    errorKeys: ['X-Fields'],
  },
  {
    name: 'X-Fields of 257 characters',
    body: fields(base),
    contentType: form,
    headers: { 'X-Fields': `access_token,${'*'.repeat(244)}` },
    status: 400,
    code: 'invalid_request',
    errorKeys: ['X-Fields'],
  },
  {
    name: 'X-Fields of 8 KiB',
    body: fields(base),
    contentType: form,
    headers: { 'X-Fields': 'a'.repeat(8192) },
    status: 400,
    code: 'invalid_request',
    errorKeys: ['X-Fields'],
  },
  {
    name: 'X-Fields with forbidden characters',
    body: fields(base),
    contentType: form,
    headers: { 'X-Fields': 'access_token;drop' },
    status: 400,
    code: 'invalid_request',
    errorKeys: ['X-Fields'],
  },
  {
    name: 'X-Fields removing access_token',
    body: fields(base),
    contentType: form,
    headers: { 'X-Fields': '{token}' },
    status: 400,
    code: 'invalid_request',
    errorKeys: ['X-Fields'],
    problem: /access_token/u,
  },
  {
    name: 'X-Fields with an unclosed brace',
    body: fields(base),
    contentType: form,
    headers: { 'X-Fields': '{access_token' },
    status: 400,
    code: 'invalid_request',
    errorKeys: ['X-Fields'],
  },
  {
    name: 'X-Fields nesting inside a string field',
    body: fields(base),
    contentType: form,
    headers: { 'X-Fields': 'access_token{alg}' },
    status: 400,
    code: 'invalid_request',
    errorKeys: ['X-Fields'],
  },
  // multipart
  {
    name: 'multipart with another boundary in the body',
    body: multipart(...baseParts()),
    contentType: 'multipart/form-data; boundary=other',
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
    problem: /multipart/u,
  },
  {
    name: 'multipart without a boundary parameter',
    body: multipart(...baseParts()),
    contentType: 'multipart/form-data',
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
  },
  {
    name: 'truncated multipart (no closing delimiter)',
    body: bytes(...baseParts().flat()),
    contentType: multipartType,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
  },
  {
    name: 'multipart cut inside a part',
    body: bytes(...baseParts().flat()).slice(0, 60),
    contentType: multipartType,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
  },
  {
    name: 'empty multipart body',
    body: '',
    contentType: multipartType,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
  },
  {
    name: 'multipart part without Content-Disposition',
    body: bytes(`--${boundary}\r\nContent-Type: text/plain\r\n\r\n${secret}\r\n--${boundary}--\r\n`),
    contentType: multipartType,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
  },
  {
    name: 'multipart password sent as a file',
    body: multipart(
      part('username', demoProduct.username),
      part('password', secret, '; filename="key.txt"'),
      part('role', 'role_product'),
    ),
    contentType: multipartType,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['password'],
    problem: /not a file/u,
  },
  {
    name: 'multipart duplicated role',
    body: multipart(...baseParts(), part('role', 'role_product')),
    contentType: multipartType,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['role'],
    problem: /Duplicated/u,
  },
  {
    name: 'multipart unknown field',
    body: multipart(...baseParts(), part('extra', '1')),
    contentType: multipartType,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['extra'],
    problem: /Unknown field/u,
  },
  {
    name: 'multipart missing role',
    body: multipart(part('username', demoProduct.username), part('password', secret)),
    contentType: multipartType,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['role'],
  },
  {
    name: 'multipart invalid UTF-8 in a value',
    body: multipart(
      part('username', demoProduct.username),
      part('password', [0x73, 0xc3, 0x28]),
      part('role', 'role_product'),
    ),
    contentType: multipartType,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['body'],
    problem: /UTF-8/u,
  },
  {
    name: 'multipart NUL in a value',
    body: multipart(
      part('username', demoProduct.username),
      part('password', `${secret}\0`),
      part('role', 'role_product'),
    ),
    contentType: multipartType,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['password'],
    problem: /NUL/u,
  },
  {
    name: 'multipart empty 2FA-token',
    body: multipart(...baseParts(), part('2FA-token', '')),
    contentType: multipartType,
    status: 400,
    code: 'invalid_request',
    errorKeys: ['2FA-token'],
  },
  // well-formed, but not authenticated
  {
    name: 'unknown user',
    body: replace('username', 'nobody@example.org'),
    contentType: form,
    status: 401,
    code: 'invalid_credentials',
  },
  { name: 'wrong API key', body: fields(base), contentType: form, status: 401, code: 'invalid_credentials' },
  {
    name: 'a role the account does not have',
    body: fields([
      ['username', demoProduct.username],
      ['password', demoProduct.password],
      ['role', 'role_admin'],
    ]),
    contentType: form,
    status: 401,
    code: 'invalid_credentials',
  },
  {
    name: '2FA client without a code',
    body: fields(clientFields(undefined) as [string, string][]),
    contentType: form,
    status: 401,
    code: 'invalid_two_factor_token',
  },
  {
    name: '2FA client with a wrong code',
    body: fields(clientFields(wrongCode) as [string, string][]),
    contentType: form,
    status: 401,
    code: 'invalid_two_factor_token',
  },
];

const clock = new TestClock();
const app = createAuthApp({ clock, quiet: true });

describe('malformed requests', () => {
  it('the table is big enough', () => {
    expect(table.length).toBeGreaterThanOrEqual(50);
    expect(new Set(table.map((row) => row.name)).size).toBe(table.length);
  });

  it.each(table)('$name → $status $code', async (row) => {
    const headers: Record<string, string> = { ...row.headers };
    if (row.contentType !== undefined) headers['Content-Type'] = row.contentType;
    const init: RequestInit = { method: 'POST', headers };
    if (row.body !== undefined) init.body = row.body;
    const response = await app.request('/auth/jwt', init);
    const { body, text } = await expectError(response, row.status, row.code);
    expect(text).not.toContain(secret);
    if (row.errorKeys !== undefined) expect(Object.keys(body.errors ?? {}).sort()).toEqual([...row.errorKeys].sort());
    if (row.problem !== undefined) expect(body.errors?.[row.errorKeys?.[0] ?? '']).toMatch(row.problem);
    // At least one problem is named, and never an unbounded list (at most 16 unknown names, then `body`).
    if (row.status === 400) {
      expect(Object.keys(body.errors ?? {}).length).toBeGreaterThan(0);
      expect(Object.keys(body.errors ?? {}).length).toBeLessThanOrEqual(20);
    } else {
      expect(body.errors).toBeUndefined();
    }
    if (row.status === 400 || row.status === 401) expect(response.headers.get('Cache-Control')).toBe('no-store');
  });

  it('leaves the server able to log both demo accounts in, in both encodings', async () => {
    await expectToken(await login(app, productFields()));
    await expectToken(await login(app, productFields(), 'multipart'));
    await expectToken(await login(app, clientFields(codeAt(clock.now()))));
    clock.advance(stepMs);
    await expectToken(await login(app, clientFields(codeAt(clock.now())), 'multipart'));
  });
});

describe('arbitrary requests (property)', () => {
  const propertyApp = createAuthApp({ clock: new TestClock(), quiet: true });
  const contentTypes = fc.constantFrom(
    form,
    multipartType,
    `${form}; charset=utf-8`,
    'multipart/form-data',
    'text/plain',
    '',
  );
  const declared = new Set([200, 400, 401, 413, 415, 429]);

  it('never answer outside the declared statuses, always with a JSON body of the spec shape', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.uint8Array({ maxLength: 300 }).map((array) => new Uint8Array(array)),
        ),
        contentTypes,
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        async (body, contentType, xFields) => {
          const headers: Record<string, string> = { 'Content-Type': contentType };
          // Header values cannot hold CR, LF or NUL (fetch refuses them before any server sees them).
          if (xFields !== undefined && !/[\r\n\0]/u.test(xFields)) headers['X-Fields'] = xFields;
          const response = await propertyApp.request('/auth/jwt', { method: 'POST', body, headers });
          expect(declared.has(response.status)).toBe(true);
          expect(response.headers.get('Content-Type')).toMatch(/^application\/json\b/u);
          const parsed: unknown = JSON.parse(await response.text());
          if (response.status !== 200) assertErrorBody(parsed);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never answer outside the declared statuses for arbitrary form fields', async () => {
    const names = fc.constantFrom('username', 'password', 'role', '2FA-token', 'x', '');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(names, fc.string({ maxLength: 20 })), { maxLength: 6 }),
        fc.boolean(),
        async (entries, multipartEncoding) => {
          const response = await login(propertyApp, entries, multipartEncoding ? 'multipart' : 'form');
          expect(declared.has(response.status)).toBe(true);
          const parsed: unknown = JSON.parse(await response.text());
          if (response.status !== 200) assertErrorBody(parsed);
        },
      ),
      { numRuns: 150 },
    );
  });
});
