// The shared contract suite: runs against a Prism mock of the spec (project `mock`) and
// against the reference server behind `prism proxy --errors` (project `server`). Prism
// validates every request (and, as a proxy, every response), so a 200 here means both
// sides kept to the spec.
import { AuthInputError, createAuthClient, type AuthClientOptions, type LoginInput } from '@lumminary/auth-sdk';
import { totpCodeSource } from '@lumminary/auth-sdk/totp';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { describe, expect, inject, it } from 'vitest';
import { demoProduct } from './harness.js';
import { declaredResponses } from './spec.js';
import './setup/provide.js';

const target = inject('target');
const requestTimeoutMs = 5000;
const product: LoginInput = { ...demoProduct };

/** A 2FA login for the `index`th 2FA account, with a code that is fresh for the target. */
async function twoFactorLogin(index: number, extra: Partial<LoginInput> = {}): Promise<LoginInput> {
  const account = target.twoFactorAccounts[index];
  if (!account) throw new Error(`no 2FA account ${index}`);
  const twoFactorToken = await totpCodeSource(account.totpSecret)({ now: Date.now(), signal: undefined });
  return { username: account.username, password: account.password, role: 'role_product', twoFactorToken, ...extra };
}

/** A client whose fetch keeps a copy of every request it sends. */
function recordingClient(options: AuthClientOptions = {}) {
  const sent: Request[] = [];
  const client = createAuthClient({
    baseUrl: target.baseUrl,
    timeoutMs: requestTimeoutMs,
    fetch: (request: Request) => {
      sent.push(request.clone());
      return fetch(request);
    },
    ...options,
  });
  return { client, sent };
}

function rawPost(body: BodyInit, headers: Record<string, string>) {
  return fetch(`${target.baseUrl}/auth/jwt`, {
    method: 'POST',
    body,
    headers,
    signal: AbortSignal.timeout(requestTimeoutMs),
  });
}

const jwtIssued = declaredResponses().get(200)?.content?.['application/json']?.examples?.issued?.value as {
  access_token: string;
};
const jwks = target.jwksUrl === undefined ? undefined : createRemoteJWKSet(new URL(target.jwksUrl));

/** The token is what the target issues: the spec's example from the mock, a verifiable 30-second JWT from the server. */
async function expectIssuedToken(accessToken: string, username: string): Promise<void> {
  if (target.kind === 'mock') {
    expect(accessToken).toBe(jwtIssued.access_token);
    return;
  }
  if (!jwks) throw new Error('the server target has no JWKS URL');
  const { payload } = await jwtVerify(accessToken, jwks, { algorithms: ['ES256'] });
  expect(payload.sub).toBe(username);
  expect(payload.role).toBe('role_product');
  expect(payload.exp! - payload.iat!).toBe(30);
  expect(decodeJwt(accessToken).jti).toEqual(expect.any(String));
}

describe('successful login', () => {
  it('form-urlencoded (the default): Prism accepts it and the SDK returns the token', async () => {
    const { client, sent } = recordingClient();
    const result = await client.postJwtAuth(product);
    await expectIssuedToken(result.accessToken, demoProduct.username);
    expect(result.body).toEqual({ access_token: result.accessToken });
    expect(sent).toHaveLength(1);
    const request = sent[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe(`${target.baseUrl}/auth/jwt`);
    expect(request.headers.get('accept')).toBe('application/json');
    expect(request.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(request.headers.get('x-fields')).toBeNull();
    expect(await request.text()).toBe(
      'username=3f8e2c1a-9b7d-4e5f-8a6b-2c4d6e8f0a1b&password=lk_live_9Qm2Xv7TzR4pN8sB3wY6cD1fH5jK0aLe&role=role_product',
    );
  });

  it('form-urlencoded with 2FA-token and X-Fields: exact field names, order and encoding', async () => {
    const { client, sent } = recordingClient();
    const input = await twoFactorLogin(0, { fields: '{access_token}' });
    const result = await client.postJwtAuth(input);
    await expectIssuedToken(result.accessToken, input.username);
    const request = sent[0]!;
    expect(request.headers.get('x-fields')).toBe('{access_token}');
    expect(await request.text()).toBe(
      'username=contract-2fa-1%40example.org&password=contract+password+1+%26+more' +
        `&role=role_product&2FA-token=${input.twoFactorToken}`,
    );
  });

  it('multipart/form-data on request: a boundary, the same fields, accepted by Prism', async () => {
    const { client, sent } = recordingClient();
    const input = await twoFactorLogin(1);
    const result = await client.postJwtAuth(input, { encoding: 'multipart' });
    await expectIssuedToken(result.accessToken, input.username);
    const request = sent[0]!;
    expect(request.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=\S+$/);
    const form = await request.formData();
    expect([...form.entries()]).toEqual([
      ['username', input.username],
      ['password', input.password],
      ['role', 'role_product'],
      ['2FA-token', input.twoFactorToken],
    ]);
  });

  it('omits 2FA-token entirely when it is not given (never "undefined")', async () => {
    const { client, sent } = recordingClient();
    await client.postJwtAuth({ ...product, twoFactorToken: undefined, fields: undefined }, { encoding: 'multipart' });
    const form = await sent[0]!.formData();
    expect([...form.keys()]).toEqual(['username', 'password', 'role']);
    expect(sent[0]!.headers.has('x-fields')).toBe(false);
  });
});

describe('Prism rejects raw requests that break the spec', () => {
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const formHeaders = { 'Content-Type': 'application/x-www-form-urlencoded' };
  const cases: [string, BodyInit, Record<string, string>, number][] = [
    ['a missing password', form({ username: 'u', role: 'role_product' }), formHeaders, 400],
    ['an empty username', form({ username: '', password: 'p', role: 'role_product' }), formHeaders, 400],
    [
      'a 2FA-token that is not digits',
      form({ username: 'u', password: 'p', role: 'role_product', '2FA-token': '12ab56' }),
      formHeaders,
      400,
    ],
    // (Prism does not enforce `additionalProperties: false` on form bodies; the reference server does.)
    [
      'a username longer than maxLength',
      form({ username: 'u'.repeat(321), password: 'p', role: 'role_product' }),
      formHeaders,
      400,
    ],
    ['a role that is not a role name', form({ username: 'u', password: 'p', role: 'Role Product!' }), formHeaders, 400],
    [
      'an invalid X-Fields header',
      form({ username: 'u', password: 'p', role: 'role_product' }),
      { ...formHeaders, 'X-Fields': '<script>' },
      400,
    ],
    [
      'the form sent as JSON',
      JSON.stringify({ username: 'u', password: 'p', role: 'role_product' }),
      { 'Content-Type': 'application/json' },
      415,
    ],
  ];
  for (const [what, body, headers, declared] of cases) {
    // The mock answers the spec's declared error (with Prism's findings in `sl-violations`);
    // the validating proxy stops the request itself with a 422 problem+json, before the server.
    const expected = target.kind === 'mock' ? declared : 422;
    it(`${what} → ${expected}`, async () => {
      const response = await rawPost(body, headers);
      expect(response.status).toBe(expected);
      if (target.kind === 'mock') {
        const errorBody = (await response.json()) as { code: string };
        expect(errorBody.code).toBe(declared === 415 ? 'unsupported_media_type' : 'invalid_request');
        if (declared === 400) expect(response.headers.get('sl-violations')).toBeTruthy();
      } else {
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const problem = (await response.json()) as { status: number; detail: string };
        expect(problem.status).toBe(422);
        expect(problem.detail).toMatch(/request/i);
      }
    });
  }

  it('the same form with valid values is accepted (the cases above fail for their fault alone)', async () => {
    const response = await rawPost(form({ ...demoProduct, '2FA-token': '012345' }), {
      ...formHeaders,
      'X-Fields': '{access_token}',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { access_token: string };
    await expectIssuedToken(body.access_token, demoProduct.username);
  });
});

describe('the SDK refuses obviously invalid input before sending', () => {
  const invalid: [string, Partial<LoginInput>, string][] = [
    ['an empty username', { username: '' }, 'username'],
    ['an empty password', { password: '' }, 'password'],
    ['a 2FA code that is not digits', { twoFactorToken: '12ab56' }, 'twoFactorToken'],
    ['a 2FA code that is too short', { twoFactorToken: '123' }, 'twoFactorToken'],
    ['a malformed fields mask', { fields: '<script>' }, 'fields'],
  ];
  for (const [what, change, field] of invalid) {
    it(what, async () => {
      const { client, sent } = recordingClient();
      const attempt = client.postJwtAuth({ ...product, ...change } as LoginInput);
      await expect(attempt).rejects.toBeInstanceOf(AuthInputError);
      await expect(attempt).rejects.toMatchObject({ field, message: expect.stringContaining(field) });
      expect(sent).toHaveLength(0);
    });
  }
});
