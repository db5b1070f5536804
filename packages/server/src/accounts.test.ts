import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { URI } from 'otpauth';
import { afterAll, describe, expect, it } from 'vitest';
import {
  addAccount,
  AccountsFileError,
  demoAccountsFile,
  parseAccountsFile,
  readAccountsFile,
  type AccountsFile,
} from './accounts.js';
import { createAuthApp } from './app.js';
import { hashSecret, verifySecret } from './secrets.js';
import {
  codeAt,
  demoClient,
  demoProduct,
  expectError,
  expectToken,
  login,
  productFields,
  t0,
  TestClock,
} from './test-support/demo.js';
import { createTotpSecret } from './totp.js';

const directory = mkdtempSync(join(tmpdir(), 'auth-server-accounts-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const cheap = { N: 1024, r: 1, p: 1 };

const validSecret = {
  algorithm: 'scrypt',
  N: 1024,
  r: 1,
  p: 1,
  salt: 'AAAAAAAAAAAAAAAAAAAAAA',
  hash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
};
const valid = () => ({
  accounts: [{ username: 'a@example.org', roles: ['role_product'], secret: { ...validSecret } }],
});

describe('accounts files', () => {
  it('the demo file is valid: a product (UUID) without 2FA and a Client (email) with 2FA', () => {
    const { accounts } = readAccountsFile(demoAccountsFile);
    const product = accounts.find((account) => account.username === demoProduct.username);
    const client = accounts.find((account) => account.username === demoClient.username);
    expect(product).toMatchObject({ roles: ['role_product'] });
    expect(product?.totp).toBeUndefined();
    expect(client?.totp?.secret).toBe(demoClient.totpSecret);
    expect(JSON.stringify(accounts)).not.toContain(demoProduct.password);
    expect(JSON.stringify(accounts)).not.toContain(demoClient.password);
  });

  it('the README documents the demo secrets and TOTP secret', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const value of [
      demoProduct.username,
      demoProduct.password,
      demoClient.username,
      demoClient.password,
      demoClient.totpSecret,
    ]) {
      expect(readme).toContain(value);
    }
  });

  it.each<[string, (file: ReturnType<typeof valid>) => unknown, RegExp]>([
    ['not an object', () => [], /JSON object/u],
    ['no accounts array', () => ({ users: [] }), /unknown property "users"/u],
    ['accounts not an array', () => ({ accounts: {} }), /"accounts" must be an array/u],
    [
      'an unknown account property',
      (f) => ({ accounts: [{ ...f.accounts[0], password: 'x' }] }),
      /accounts\[0\]: unknown property "password"/u,
    ],
    ['an empty username', (f) => ({ accounts: [{ ...f.accounts[0], username: '' }] }), /accounts\[0\]\.username/u],
    [
      'a username of 321 characters',
      (f) => ({ accounts: [{ ...f.accounts[0], username: 'u'.repeat(321) }] }),
      /accounts\[0\]\.username/u,
    ],
    [
      'a username with spaces around',
      (f) => ({ accounts: [{ ...f.accounts[0], username: ' a@example.org' }] }),
      /white space/u,
    ],
    [
      'duplicate usernames (case-insensitive)',
      (f) => ({ accounts: [f.accounts[0], { ...f.accounts[0], username: 'A@Example.org' }] }),
      /accounts\[1\]\.username: same as accounts\[0\]/u,
    ],
    ['no roles', (f) => ({ accounts: [{ ...f.accounts[0], roles: [] }] }), /roles: must be a non-empty array/u],
    [
      'a role breaking the spec pattern',
      (f) => ({ accounts: [{ ...f.accounts[0], roles: ['Role'] }] }),
      /roles\[0\]: must match \^\[a-z\]/u,
    ],
    ['a repeated role', (f) => ({ accounts: [{ ...f.accounts[0], roles: ['role_a', 'role_a'] }] }), /must not repeat/u],
    [
      'a clear-text secret',
      (f) => ({ accounts: [{ ...f.accounts[0], secret: 'hunter2' }] }),
      /secret: must be an object made by hashSecret/u,
    ],
    [
      'another algorithm',
      (f) => ({ accounts: [{ ...f.accounts[0], secret: { ...validSecret, algorithm: 'md5' } }] }),
      /algorithm: must be "scrypt"/u,
    ],
    [
      'N not a power of two',
      (f) => ({ accounts: [{ ...f.accounts[0], secret: { ...validSecret, N: 1000 } }] }),
      /N must be a power of two/u,
    ],
    [
      'too much memory',
      (f) => ({ accounts: [{ ...f.accounts[0], secret: { ...validSecret, N: 2 ** 20, r: 32 } }] }),
      /256 MiB/u,
    ],
    [
      'a short salt',
      (f) => ({ accounts: [{ ...f.accounts[0], secret: { ...validSecret, salt: 'AAAA' } }] }),
      /salt: must be base64url of at least 16 bytes/u,
    ],
    [
      'a hash that is not base64url',
      (f) => ({ accounts: [{ ...f.accounts[0], secret: { ...validSecret, hash: '***' } }] }),
      /hash: must be base64url/u,
    ],
    [
      'a TOTP secret that is not base32',
      (f) => ({ accounts: [{ ...f.accounts[0], totp: { secret: 'not base32!' } }] }),
      /totp\.secret: The TOTP secret is not valid base32/u,
    ],
    [
      'a short TOTP secret',
      (f) => ({ accounts: [{ ...f.accounts[0], totp: { secret: 'JBSWY3DPEHPK3PXP' } }] }),
      /at least 16 bytes/u,
    ],
    [
      'TOTP options the server does not support',
      (f) => ({ accounts: [{ ...f.accounts[0], totp: { secret: demoClient.totpSecret, digits: 8 } }] }),
      /unknown property "digits"/u,
    ],
  ])('are refused with a clear error for %s', (_label, mutate, message) => {
    const parse = () => parseAccountsFile(mutate(valid()), 'test.json');
    expect(parse).toThrow(AccountsFileError);
    expect(parse).toThrow(message);
    expect(parse).toThrow(/^Accounts file test\.json: /u);
  });

  it('are refused when missing or not JSON, naming the file', () => {
    expect(() => readAccountsFile(join(directory, 'missing.json'))).toThrow(
      /missing\.json: cannot be read \(ENOENT\)/u,
    );
    const broken = join(directory, 'broken.json');
    writeFileSync(broken, '{"accounts": [');
    expect(() => readAccountsFile(broken)).toThrow(/broken\.json: not valid JSON/u);
    expect(() => createAuthApp({ accountsFile: broken, quiet: true })).toThrow(AccountsFileError);
  });

  it('are read from LUMMINARY_ACCOUNTS_FILE when no file is given', async () => {
    const path = join(directory, 'env.json');
    await addAccount(path, { username: 'env.user@example.org', secret: 'env secret', scrypt: cheap });
    const app = createAuthApp({ quiet: true, env: { LUMMINARY_ACCOUNTS_FILE: path } });
    await expectToken(
      await login(app, [
        ['username', 'env.user@example.org'],
        ['password', 'env secret'],
        ['role', 'role_product'],
      ]),
    );
    await expectError(await login(app, productFields()), 401, 'invalid_credentials');
    // Without the variable: the demo accounts.
    await expectToken(await login(createAuthApp({ quiet: true, env: {} }), productFields()));
  });
});

describe('addAccount', () => {
  it('creates a file with a hashed secret (never the secret), usable for logins, with roles', async () => {
    const path = join(directory, 'new.json');
    const result = await addAccount(path, {
      username: 'grace@example.org',
      secret: 'SENTINEL-new-secret',
      roles: ['role_product', 'role_client'],
      scrypt: cheap,
    });
    expect(result).toEqual({});
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('SENTINEL-new-secret');
    expect(statSync(path).mode & 0o077).toBe(0);
    const app = createAuthApp({ accountsFile: path, quiet: true });
    for (const role of ['role_product', 'role_client']) {
      await expectToken(
        await login(app, [
          ['username', 'grace@example.org'],
          ['password', 'SENTINEL-new-secret'],
          ['role', role],
        ]),
      );
    }
    await expectError(
      await login(app, [
        ['username', 'grace@example.org'],
        ['password', 'SENTINEL-new-secret'],
        ['role', 'role_admin'],
      ]),
      401,
      'invalid_credentials',
    );
  });

  it('with 2FA returns a TOTP secret and otpauth:// URI that authenticator apps (and logins) accept', async () => {
    const path = join(directory, 'twofa.json');
    const { totp } = await addAccount(path, {
      username: 'alan@example.org',
      secret: 'pw',
      twoFactor: true,
      scrypt: cheap,
    });
    expect(totp?.uri).toMatch(/^otpauth:\/\/totp\//u);
    const parsed = URI.parse(totp?.uri ?? '');
    expect(parsed.secret.base32).toBe(totp?.secret);
    const clock = new TestClock();
    const app = createAuthApp({ accountsFile: path, quiet: true, clock });
    const fields = [
      ['username', 'alan@example.org'],
      ['password', 'pw'],
      ['role', 'role_product'],
    ] as const;
    await expectError(await login(app, fields), 401, 'invalid_two_factor_token');
    await expectToken(await login(app, [...fields, ['2FA-token', codeAt(t0, totp?.secret)]]));
  });

  it('refuses a duplicate username and leaves the file unchanged', async () => {
    const path = join(directory, 'dup.json');
    await addAccount(path, { username: 'dup@example.org', secret: 'x', scrypt: cheap });
    const before = readFileSync(path, 'utf8');
    await expect(addAccount(path, { username: 'DUP@example.org', secret: 'y', scrypt: cheap })).rejects.toThrow(
      /same as accounts\[0\]/u,
    );
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('refuses to extend an invalid file', async () => {
    const path = join(directory, 'invalid.json');
    writeFileSync(path, JSON.stringify({ accounts: [{ username: 'x' }] }));
    await expect(addAccount(path, { username: 'new@example.org', secret: 'x', scrypt: cheap })).rejects.toThrow(
      AccountsFileError,
    );
  });
});

describe('secret hashing', () => {
  it('verifies the right secret only; salts differ', async () => {
    const first = await hashSecret('correct horse', cheap);
    const second = await hashSecret('correct horse', cheap);
    expect(first.salt).not.toBe(second.salt);
    expect(first.hash).not.toBe(second.hash);
    expect(await verifySecret('correct horse', first)).toBe(true);
    expect(await verifySecret('correct horsf', first)).toBe(false);
    expect(await verifySecret('', first)).toBe(false);
  });

  it('uses the default cost unless told otherwise, and refuses unsafe parameters', async () => {
    expect(await hashSecret('x')).toMatchObject({ algorithm: 'scrypt', N: 16384, r: 8, p: 1 });
    await expect(hashSecret('x', { N: 2 ** 8, r: 8, p: 1 })).rejects.toThrow(RangeError);
    await expect(hashSecret('')).rejects.toThrow(TypeError);
  });

  it('treats canonically equivalent Unicode passwords alike (NFC)', async () => {
    const stored = await hashSecret('caf\u00e9', cheap);
    expect(await verifySecret('cafe\u0301', stored)).toBe(true);
  });
});

describe('createTotpSecret', () => {
  it('makes a 160-bit base32 secret and a URI naming the account and issuer', () => {
    const { secret, uri } = createTotpSecret('someone@example.org', 'Test Issuer');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/u);
    const parsed = URI.parse(uri);
    expect(parsed).toMatchObject({
      label: 'someone@example.org',
      issuer: 'Test Issuer',
      digits: 6,
      period: 30,
      algorithm: 'SHA1',
    });
    expect(createTotpSecret('x').secret).not.toBe(secret);
  });
});

describe('the accounts option', () => {
  it('is validated like a file', () => {
    expect(() =>
      createAuthApp({ quiet: true, accounts: { accounts: [{ username: '' }] } as unknown as AccountsFile }),
    ).toThrow(/\(accounts option\)/u);
  });
  it('logs in the demo client (demo TOTP secret)', async () => {
    const app = createAuthApp({ quiet: true, clock: new TestClock(), accounts: readAccountsFile(demoAccountsFile) });
    await expectToken(
      await login(app, [
        ['username', demoClient.username],
        ['password', demoClient.password],
        ['role', 'role_product'],
        ['2FA-token', codeAt(t0)],
      ]),
    );
  });
});
