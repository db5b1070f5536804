import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { createAuthClient } from './client.js';
import { AuthError, AuthInputError } from './errors.js';
import { jwtAuthFormFields } from './generated/jwt-auth-operation.js';
import { checkMultipart, type LoginInput, toLoginRequest, wireNames } from './login-input.js';

const valid = { username: 'ada@example.org', password: 'correct horse battery staple', role: 'role_product' } as const;

/** Calls `toLoginRequest` with a value the types would refuse, and returns the AuthInputError. */
function inputError(input: unknown): AuthInputError {
  try {
    toLoginRequest(input as LoginInput);
  } catch (error) {
    expect(error).toBeInstanceOf(AuthInputError);
    return error as AuthInputError;
  }
  throw new Error(`expected an AuthInputError for ${inspect(input)}`);
}

const emoji = '😀'; // one code point, two UTF-16 code units

// [what, input, option at fault, problem, the offending value (which no message may contain)]
const invalid: [string, Record<string, unknown>, string, string, unknown][] = [
  ['missing username', { password: valid.password, role: valid.role }, 'username', 'is required', undefined],
  ['empty username', { ...valid, username: '' }, 'username', 'must not be empty', ''],
  ['a number as username', { ...valid, username: 123456789 }, 'username', 'must be a string', 123456789],
  ['missing password', { username: valid.username, role: valid.role }, 'password', 'is required', undefined],
  ['empty password', { ...valid, password: '' }, 'password', 'must not be empty', ''],
  ['null password', { ...valid, password: null }, 'password', 'must be a string', null],
  ['missing role', { username: valid.username, password: valid.password }, 'role', 'is required', undefined],
  ['empty role', { ...valid, role: '' }, 'role', 'must not be empty', ''],
  ['role with upper case', { ...valid, role: 'Role_Product' }, 'role', 'must match ^[a-z][a-z0-9_]*$', 'Role_Product'],
  ['role with a dash', { ...valid, role: 'role-product' }, 'role', 'must match ^[a-z][a-z0-9_]*$', 'role-product'],
  ['role starting with a digit', { ...valid, role: '1role' }, 'role', 'must match ^[a-z][a-z0-9_]*$', '1role'],
  [
    'role with a trailing newline',
    { ...valid, role: 'role_product\n' },
    'role',
    'must match ^[a-z][a-z0-9_]*$',
    'role_product\n',
  ],
  ['role too long', { ...valid, role: 'r'.repeat(65) }, 'role', 'must be at most 64 characters', 'r'.repeat(65)],
  [
    '2FA code with letters',
    { ...valid, twoFactorToken: '12a456' },
    'twoFactorToken',
    'must be 6 to 8 digits',
    '12a456',
  ],
  ['2FA code too short', { ...valid, twoFactorToken: '12345' }, 'twoFactorToken', 'must be 6 to 8 digits', '12345'],
  [
    '2FA code too long',
    { ...valid, twoFactorToken: '123456789' },
    'twoFactorToken',
    'must be 6 to 8 digits',
    '123456789',
  ],
  ['empty 2FA code', { ...valid, twoFactorToken: '' }, 'twoFactorToken', 'must be 6 to 8 digits', ''],
  [
    '2FA code with spaces',
    { ...valid, twoFactorToken: '123 456' },
    'twoFactorToken',
    'must be 6 to 8 digits',
    '123 456',
  ],
  [
    '2FA code with a newline',
    { ...valid, twoFactorToken: '123456\n' },
    'twoFactorToken',
    'must be 6 to 8 digits',
    '123456\n',
  ],
  [
    '2FA code in Arabic-Indic digits',
    { ...valid, twoFactorToken: '١٢٣٤٥٦' },
    'twoFactorToken',
    'must be 6 to 8 digits',
    '١٢٣٤٥٦',
  ],
  [
    '2FA code in full-width digits',
    { ...valid, twoFactorToken: '１２３４５６' },
    'twoFactorToken',
    'must be 6 to 8 digits',
    '１２３４５６',
  ],
  [
    '2FA code as a number',
    { ...valid, twoFactorToken: 428917 },
    'twoFactorToken',
    'must be a string of digits',
    428917,
  ],
  ['2FA code as null', { ...valid, twoFactorToken: null }, 'twoFactorToken', 'must be a string of digits', null],
  [
    'username one code point too long',
    { ...valid, username: emoji.repeat(321) },
    'username',
    'must be at most 320 characters',
    emoji.repeat(321),
  ],
  [
    'username too long (ASCII)',
    { ...valid, username: 'u'.repeat(321) },
    'username',
    'must be at most 320 characters',
    'u'.repeat(321),
  ],
  [
    'password one code point too long',
    { ...valid, password: emoji.repeat(1025) },
    'password',
    'must be at most 1024 characters',
    emoji.repeat(1025),
  ],
  [
    'password too long (ASCII)',
    { ...valid, password: 'p'.repeat(1025) },
    'password',
    'must be at most 1024 characters',
    'p'.repeat(1025),
  ],
  [
    'username with a lone high surrogate',
    { ...valid, username: 'ada\uD83D' },
    'username',
    'contains unpaired UTF-16 surrogates (not valid Unicode)',
    'ada\uD83D',
  ],
  [
    'password with a lone low surrogate',
    { ...valid, password: 'pw\uDE00pw' },
    'password',
    'contains unpaired UTF-16 surrogates (not valid Unicode)',
    'pw\uDE00pw',
  ],
  [
    'password of reversed surrogates',
    { ...valid, password: '\uDE00\uD83D' },
    'password',
    'contains unpaired UTF-16 surrogates (not valid Unicode)',
    '\uDE00\uD83D',
  ],
  ['empty fields', { ...valid, fields: '' }, 'fields', 'must not be empty', ''],
  [
    'fields with CRLF (header injection)',
    { ...valid, fields: 'access_token\r\nX-Evil: 1' },
    'fields',
    'must match ^[A-Za-z0-9_{},* ]+$',
    'access_token\r\nX-Evil: 1',
  ],
  ['fields with a colon', { ...valid, fields: 'a:b' }, 'fields', 'must match ^[A-Za-z0-9_{},* ]+$', 'a:b'],
  ['fields with non-ASCII', { ...valid, fields: '{accès}' }, 'fields', 'must match ^[A-Za-z0-9_{},* ]+$', '{accès}'],
  [
    'fields too long',
    { ...valid, fields: 'f'.repeat(257) },
    'fields',
    'must be at most 256 characters',
    'f'.repeat(257),
  ],
  ['fields as an array', { ...valid, fields: ['access_token'] }, 'fields', 'must be a string', ['access_token']],
];

describe('toLoginRequest: refusals', () => {
  it.each(invalid)('%s → AuthInputError on %s', (_, input, field, problem, value) => {
    const error = inputError(input);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.name).toBe('AuthInputError');
    expect(error.field).toBe(field);
    expect(error.problem).toBe(problem);
    expect(error.message).toBe(`Invalid login input: ${field} ${problem}.`);
    // Never the value (checked for values that could not appear in a message by accident).
    if (typeof value === 'string' && value.length >= 3 && !/^[a-z]+$/u.test(value)) {
      for (const text of [error.message, String(error), JSON.stringify(error), inspect(error)]) {
        expect(text).not.toContain(value);
      }
    }
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'ada@example.org:secret'],
    ['a number', 42],
  ])('input that is %s → AuthInputError on input', (_, input) => {
    const error = inputError(input);
    expect(error.field).toBe('input');
    expect(error.message).not.toContain('secret');
  });

  it('reports the first problem in spec order', () => {
    expect(inputError({ role: 'BAD', twoFactorToken: 'x' }).field).toBe('username');
    expect(inputError({ username: 'u', role: 'BAD', twoFactorToken: 'x' }).field).toBe('password');
    expect(inputError({ username: 'u', password: 'p', role: 'BAD', twoFactorToken: 'x' }).field).toBe('role');
    expect(inputError({ username: 'u', password: 'p', role: 'r', twoFactorToken: 'x', fields: '' }).field).toBe(
      'twoFactorToken',
    );
  });

  it('never puts a password into the message, whatever the problem', () => {
    const password = 'S3cret-pa55word😀';
    for (const input of [
      { ...valid, password: `${password}\uD800` },
      { ...valid, password: password.repeat(200) },
    ]) {
      const error = inputError(input);
      expect(error.field).toBe('password');
      for (const text of [error.message, String(error), JSON.stringify(error), inspect(error)]) {
        expect(text).not.toContain(password);
      }
    }
  });
});

describe('toLoginRequest: accepted input', () => {
  it('maps readable names to wire names, in spec order, with the secrets', () => {
    const parts = toLoginRequest({
      twoFactorToken: '042917',
      fields: '{access_token}',
      role: 'role_product',
      password: 'pw',
      username: 'ada',
    });
    expect(parts.entries).toEqual([
      ['username', 'ada'],
      ['password', 'pw'],
      ['role', 'role_product'],
      ['2FA-token', '042917'],
    ]);
    expect(Object.fromEntries(parts.entries)).toEqual({
      username: 'ada',
      password: 'pw',
      role: 'role_product',
      '2FA-token': '042917',
    });
    expect(parts.entries.map(([name]) => name)).toEqual(['username', 'password', 'role', '2FA-token']);
    expect(parts.xFields).toBe('{access_token}');
    expect(parts.secrets).toEqual(['pw', '042917']);
  });

  it('omits the optional parts when undefined', () => {
    const parts = toLoginRequest({ ...valid, twoFactorToken: undefined, fields: undefined });
    expect(parts.entries.map(([name]) => name)).toEqual(['username', 'password', 'role']);
    expect(Object.fromEntries(parts.entries)).not.toHaveProperty('2FA-token');
    expect(parts.xFields).toBeUndefined();
    expect(parts.secrets).toEqual([valid.password]);
  });

  it('ignores unknown properties, including wire names given directly', () => {
    const parts = toLoginRequest({ ...valid, '2FA-token': '123456', extra: 1 } as LoginInput);
    expect(parts.entries.map(([name]) => name)).toEqual(['username', 'password', 'role']);
  });

  it.each([
    ['username of exactly 320 emoji (640 UTF-16 units)', { ...valid, username: emoji.repeat(320) }],
    ['username of exactly 320 ASCII characters', { ...valid, username: 'u'.repeat(320) }],
    ['password of exactly 1024 emoji', { ...valid, password: emoji.repeat(1024) }],
    ['password of exactly 1024 characters', { ...valid, password: 'p'.repeat(1024) }],
    ['a one-character username and password', { ...valid, username: 'u', password: 'p' }],
    ['a single emoji as password', { ...valid, password: emoji }],
    ['role of exactly 64 characters', { ...valid, role: 'r'.repeat(64) }],
    ['a role other than role_product', { ...valid, role: 'role_client_2' }],
    ['a 6-digit 2FA code with leading zeros', { ...valid, twoFactorToken: '000000' }],
    ['an 8-digit 2FA code', { ...valid, twoFactorToken: '12345678' }],
    ['a password with whitespace and controls', { ...valid, password: ' \t\r\n\u0000 ' }],
    ['fields of exactly 256 characters', { ...valid, fields: 'f'.repeat(256) }],
    ['fields with nesting, commas, stars and spaces', { ...valid, fields: '{access_token, user{id,*}}' }],
  ])('%s', (_, input: LoginInput) => {
    const parts = toLoginRequest(input);
    const form = Object.fromEntries(parts.entries);
    expect(form.username).toBe(input.username);
    expect(form.password).toBe(input.password);
    expect(form.role).toBe(input.role);
    expect(parts.xFields).toBe(input.fields);
  });
});

describe('postJwtAuth refuses invalid input before sending', () => {
  it.each(invalid)('%s → rejects with AuthInputError on %s, fetch never called', async (_, input, field) => {
    const fetch = vi.fn<typeof globalThis.fetch>();
    const auth = createAuthClient({ baseUrl: 'https://auth.test/v1', fetch });
    const settled = auth.postJwtAuth(input as unknown as LoginInput);
    await expect(settled).rejects.toBeInstanceOf(AuthInputError);
    await expect(settled).rejects.toMatchObject({ field });
    expect(fetch).not.toHaveBeenCalled();
  });

  it.each([null, undefined, 'x'])('non-object input %j → AuthInputError, fetch never called', async (input) => {
    const fetch = vi.fn<typeof globalThis.fetch>();
    const auth = createAuthClient({ baseUrl: 'https://auth.test/v1', fetch });
    await expect(auth.postJwtAuth(input as unknown as LoginInput)).rejects.toMatchObject({
      name: 'AuthInputError',
      field: 'input',
    });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('a valid input at the limits is sent', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => Response.json({ access_token: 'a.b.c' }));
    const auth = createAuthClient({ baseUrl: 'https://auth.test/v1', fetch });
    await auth.postJwtAuth({ username: emoji.repeat(320), password: emoji.repeat(1024), role: 'r'.repeat(64) });
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});

describe('wireNames', () => {
  it('covers every field of the generated form, and nothing else', () => {
    expect(Object.values(wireNames).sort()).toEqual(jwtAuthFormFields.map((field) => field.name).sort());
  });

  it('maps the readable names', () => {
    expect(wireNames).toEqual({
      username: 'username',
      password: 'password',
      role: 'role',
      twoFactorToken: '2FA-token',
    });
  });
});

describe('checkMultipart', () => {
  it.each([
    ['password', 'a\nb'],
    ['password', 'a\rb'],
    ['password', 'a\r\n\nb'],
    ['password', '\n'],
    ['username', 'ada\r'],
  ])('refuses a %s with a bare line break, naming the option only', (field, value) => {
    const parts = toLoginRequest({ ...valid, [field]: value });
    let caught: unknown;
    try {
      checkMultipart(parts.entries);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AuthInputError);
    expect(caught).toMatchObject({ field });
    expect((caught as AuthInputError).message).not.toContain(value);
  });

  it.each(['plain', 'a\r\nb', '\r\n', ' \t😀&=+%'])('accepts %j (CRLF is sent unchanged)', (password) => {
    expect(() =>
      checkMultipart(toLoginRequest({ ...valid, password, twoFactorToken: '123456' }).entries),
    ).not.toThrow();
  });
});
