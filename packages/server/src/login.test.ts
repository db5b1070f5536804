import { generateKeyPairSync } from 'node:crypto';
import { errors as joseErrors } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuthApp } from './app.js';
import {
  clientFields,
  codeAt,
  demoClient,
  demoProduct,
  expectError,
  expectToken,
  jwksOf,
  login,
  productFields,
  stepMs,
  t0,
  TestClock,
  type Encoding,
} from './test-support/demo.js';
import { defaultIssuer, verifyAccessToken } from './tokens.js';

const encodings: Encoding[] = ['form', 'multipart'];
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/u;

function setup() {
  const clock = new TestClock();
  const app = createAuthApp({ clock, quiet: true });
  return { clock, app };
}

describe.each(encodings)('successful logins (%s)', (encoding) => {
  it('issues a token to the partner product, verifiable with the JWKS, valid for 30 s', async () => {
    const { clock, app } = setup();
    const token = await expectToken(await login(app, productFields(), encoding));
    const jwks = await jwksOf(app);
    const claims = await verifyAccessToken(token, { jwks, clock });
    expect(claims).toMatchObject({ sub: demoProduct.username, role: 'role_product', iss: defaultIssuer });
    expect(claims.iat).toBe(Math.floor(t0 / 1000));
    expect(claims.exp).toBe(claims.iat + 30);
    expect(claims.jti).toMatch(uuid);

    clock.advance(29_000);
    await expect(verifyAccessToken(token, { jwks, clock })).resolves.toMatchObject({ sub: demoProduct.username });
    clock.advance(2_000);
    await expect(verifyAccessToken(token, { jwks, clock })).rejects.toBeInstanceOf(joseErrors.JWTExpired);
  });

  it('issues a token to the 2FA client with a fresh code', async () => {
    const { clock, app } = setup();
    const token = await expectToken(await login(app, clientFields(codeAt(t0)), encoding));
    const claims = await verifyAccessToken(token, { jwks: await jwksOf(app), clock });
    expect(claims).toMatchObject({ sub: demoClient.username, role: 'role_product', exp: claims.iat + 30 });
  });
});

describe('tokens', () => {
  it('are signed with a given key, verifiable with its public key; a token from another key is rejected', async () => {
    const clock = new TestClock();
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const app = createAuthApp({ clock, quiet: true, signingKey: pair, issuer: 'urn:test' });
    const token = await expectToken(await login(app, productFields()));
    const claims = await verifyAccessToken(token, { key: pair.publicKey, clock, issuer: 'urn:test' });
    expect(claims.sub).toBe(demoProduct.username);
    await expect(verifyAccessToken(token, { key: pair.publicKey, clock })).rejects.toThrow(); // wrong issuer
    const otherApp = createAuthApp({ clock, quiet: true });
    await expect(
      verifyAccessToken(token, { jwks: await jwksOf(otherApp), clock, issuer: 'urn:test' }),
    ).rejects.toThrow();
    const jwk = (await jwksOf(app)).keys[0];
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwk).not.toHaveProperty('d');
  });

  it('refuses a signing key that is not P-256', () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(() => createAuthApp({ quiet: true, signingKey: pair })).toThrow(/ES256/u);
  });

  it('differ in jti from one login to the next', async () => {
    const { clock, app } = setup();
    const jwks = await jwksOf(app);
    const first = await verifyAccessToken(await expectToken(await login(app, productFields())), { jwks, clock });
    const second = await verifyAccessToken(await expectToken(await login(app, productFields())), { jwks, clock });
    expect(first.jti).not.toBe(second.jti);
  });
});

describe('two-factor authentication', () => {
  it('rejects the replay of a used code, and an older code once a newer one was used', async () => {
    const { clock, app } = setup();
    await expectToken(await login(app, clientFields(codeAt(t0))));
    await expectError(await login(app, clientFields(codeAt(t0))), 401, 'invalid_two_factor_token');
    await expectError(
      await login(app, clientFields(codeAt(t0), demoClient.password), 'multipart'),
      401,
      'invalid_two_factor_token',
    );
    await expectError(await login(app, clientFields(codeAt(t0 - stepMs))), 401, 'invalid_two_factor_token');
    clock.advance(stepMs);
    await expectToken(await login(app, clientFields(codeAt(clock.now()))));
  });

  it.each([
    ['previous step', -1, true],
    ['next step', 1, true],
    ['two steps back', -2, false],
    ['two steps ahead', 2, false],
    ['ten minutes back', -20, false],
  ])('a code of the %s is accepted: %s', async (_label, steps, accepted) => {
    const { app } = setup();
    const code = codeAt(t0 + steps * stepMs);
    const others = [-1, 0, 1].map((offset) => codeAt(t0 + offset * stepMs));
    if (accepted) await expectToken(await login(app, clientFields(code)));
    else if (!others.includes(code))
      await expectError(await login(app, clientFields(code)), 401, 'invalid_two_factor_token');
    else expect.unreachable('a code outside the window collides with one inside it; pick another instant');
  });

  it('treats a missing or wrong code as invalid_two_factor_token, but only after a correct password', async () => {
    const { app } = setup();
    await expectError(await login(app, clientFields(undefined)), 401, 'invalid_two_factor_token');
    const valid = new Set([-1, 0, 1].map((offset) => codeAt(t0 + offset * stepMs)));
    const wrong = ['000000', '123456', '999999'].find((code) => !valid.has(code)) ?? '000001';
    await expectError(await login(app, clientFields(wrong)), 401, 'invalid_two_factor_token');
    // A wrong password gives invalid_credentials, even with a valid code, and does not use the code up.
    await expectError(await login(app, clientFields(codeAt(t0), 'wrong password')), 401, 'invalid_credentials');
    await expectError(await login(app, clientFields(undefined, 'wrong password')), 401, 'invalid_credentials');
    await expectToken(await login(app, clientFields(codeAt(t0))));
  });

  it('ignores a well-formed 2FA-token for an account without 2FA, but still checks its pattern', async () => {
    const { app } = setup();
    await expectToken(await login(app, productFields([['2FA-token', '12345678']])));
    await expectToken(await login(app, productFields([['2FA-token', '12345678']])));
    const { body } = await expectError(
      await login(app, productFields([['2FA-token', '12ab56']])),
      400,
      'invalid_request',
    );
    expect(Object.keys(body.errors ?? {})).toEqual(['2FA-token']);
  });
});

describe('credentials', () => {
  it('answers an unknown user and a wrong password with byte-identical responses', async () => {
    const { app } = setup();
    const unknown = await login(app, [
      ['username', 'nobody@example.org'],
      ['password', 'whatever'],
      ['role', 'role_product'],
    ]);
    const wrong = await login(
      app,
      productFields().map(([name, value]) => [name, name === 'password' ? 'not the key' : value] as const),
    );
    const wrongRole = await login(
      app,
      productFields().map(([name, value]) => [name, name === 'role' ? 'role_admin' : value] as const),
    );
    const headersOf = (response: Response) => [...response.headers].sort();
    expect(headersOf(unknown)).toEqual(headersOf(wrong));
    expect(headersOf(wrongRole)).toEqual(headersOf(wrong));
    const texts = [
      (await expectError(unknown, 401, 'invalid_credentials')).text,
      (await expectError(wrong, 401, 'invalid_credentials')).text,
    ];
    texts.push((await expectError(wrongRole, 401, 'invalid_credentials')).text);
    expect(new Set(texts).size).toBe(1);
  });

  it('takes about as long for an unknown user as for a wrong password (both run scrypt)', async () => {
    const { app } = setup();
    const time = async (fields: Parameters<typeof login>[1]) => {
      const started = performance.now();
      await (await login(app, fields)).text();
      return performance.now() - started;
    };
    const unknownTimes: number[] = [];
    const wrongTimes: number[] = [];
    for (let i = 0; i < 4; i++) {
      unknownTimes.push(
        await time([
          ['username', `nobody${i}@example.org`],
          ['password', 'x'],
          ['role', 'role_product'],
        ]),
      );
      wrongTimes.push(
        await time([
          ['username', demoClient.username],
          ['password', `wrong ${i}`],
          ['role', 'role_product'],
        ]),
      );
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const ratio = median(unknownTimes) / median(wrongTimes);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
    // Both are dominated by scrypt, not by an early exit.
    expect(median(unknownTimes)).toBeGreaterThan(5);
  });

  it('matches usernames case-insensitively and puts the file spelling in sub', async () => {
    const { clock, app } = setup();
    const fields = clientFields(codeAt(t0)).map(
      ([name, value]) => [name, name === 'username' ? value.toUpperCase() : value] as const,
    );
    const token = await expectToken(await login(app, fields));
    expect((await verifyAccessToken(token, { jwks: await jwksOf(app), clock })).sub).toBe(demoClient.username);
  });

  it('accepts a charset parameter on the form content type', async () => {
    const { app } = setup();
    await expectToken(
      await login(app, productFields(), 'form', { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' }),
    );
    await expectToken(
      await login(app, productFields(), 'form', {
        'Content-Type': 'Application/X-WWW-Form-Urlencoded;charset="utf-8"',
      }),
    );
  });
});

describe('X-Fields', () => {
  it.each(['access_token', '{access_token}', '*', '{*}', ' { access_token , * } ', 'access_token,unknown_field'])(
    'keeps access_token with the mask %j',
    async (mask) => {
      const { app } = setup();
      await expectToken(await login(app, productFields(), 'form', { 'X-Fields': mask }));
    },
  );

  it.each([
    ['{unknown_field}', /access_token/u],
    ['access_token{sub}', /nests/u],
    ['{access_token', /brace/u],
    ['access_token}', /brace/u],
    ['access_token token', /comma/u],
    ['access_token,,*', /comma/u],
    ['{}', /no field/u],
    ['access_token;drop', /pattern/u],
    ['', /empty/u],
    ['a'.repeat(257), /at most 256/u],
  ])('rejects the mask %j with 400', async (mask, problem) => {
    const { app } = setup();
    const { body } = await expectError(
      await login(app, productFields(), 'form', { 'X-Fields': mask }),
      400,
      'invalid_request',
    );
    expect(body.errors?.['X-Fields']).toMatch(problem);
  });

  it('does not use up a 2FA code when the mask is rejected', async () => {
    const { app } = setup();
    await expectError(
      await login(app, clientFields(codeAt(t0)), 'form', { 'X-Fields': '{nothing}' }),
      400,
      'invalid_request',
    );
    await expectToken(await login(app, clientFields(codeAt(t0)), 'form', { 'X-Fields': '{access_token}' }));
  });
});

describe('routes', () => {
  it.each(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])(
    'answers %s /auth/jwt with 405, Allow: POST and a JSON error',
    async (method) => {
      const { app } = setup();
      const response = await app.request('/auth/jwt', { method });
      expect(response.headers.get('Allow')).toBe('POST');
      const text = await response.text();
      expect(response.status).toBe(405);
      expect(JSON.parse(text)).toMatchObject({ code: 'invalid_request', errors: { method: expect.any(String) } });
    },
  );

  it('answers HEAD /auth/jwt with 405 and no body', async () => {
    const { app } = setup();
    const response = await app.request('/auth/jwt', { method: 'HEAD' });
    expect(response.status).toBe(405);
    expect(response.headers.get('Allow')).toBe('POST');
    expect(await response.text()).toBe('');
  });

  it.each(['/', '/auth', '/auth/jwt/', '/v1/auth/jwt', '/auth/JWT'])('answers %s with a JSON 404', async (path) => {
    const { app } = setup();
    const response = await app.request(path, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(response.headers.get('Content-Type')).toMatch(/^application\/json/u);
    expect(await response.json()).toMatchObject({ code: 'invalid_request', message: expect.any(String) });
  });

  it('serves the JWKS on GET only', async () => {
    const { app } = setup();
    expect((await jwksOf(app)).keys).toHaveLength(1);
    const response = await app.request('/.well-known/jwks.json', { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('Allow')).toBe('GET, HEAD');
  });
});
