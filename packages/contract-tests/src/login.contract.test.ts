// The SDK against a Prism mock of the bundled spec: Prism validates every request it
// receives (`--errors`), so a 200 here means the SDK's request matched the spec.
import {
  AuthHttpError,
  AuthInputError,
  createAuthClient,
  type AuthClientOptions,
  type LoginInput,
} from '@lumminary/auth-sdk';
import { describe, expect, inject, it } from 'vitest';
import { declaredResponses } from './spec.js';

const mockUrl = inject('mockUrl');
const requestTimeoutMs = 5000;

const product: LoginInput = {
  username: '3f8e2c1a-9b7d-4e5f-8a6b-2c4d6e8f0a1b',
  password: 'lk_live_9Qm2Xv7TzR4pN8sB3wY6cD1fH5jK0aLe',
  role: 'role_product',
};
const clientWith2fa: LoginInput = {
  username: 'ada.lovelace@example.org',
  password: 'correct horse battery staple & more = 100% ✓',
  role: 'role_product',
  twoFactorToken: '042917',
  fields: '{access_token}',
};

/** A client whose fetch keeps a copy of every request it sends to the mock. */
function recordingClient(options: AuthClientOptions = {}) {
  const sent: Request[] = [];
  const client = createAuthClient({
    baseUrl: mockUrl,
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
  return fetch(`${mockUrl}/auth/jwt`, {
    method: 'POST',
    body,
    headers,
    signal: AbortSignal.timeout(requestTimeoutMs),
  });
}

const jwtIssued = declaredResponses().get(200)?.content?.['application/json']?.examples?.['issued']?.value as {
  access_token: string;
};

describe('successful login', () => {
  it('form-urlencoded (the default): Prism accepts it and the SDK returns the token', async () => {
    const { client, sent } = recordingClient();
    const result = await client.postJwtAuth(product);
    expect(result.accessToken).toBe(jwtIssued.access_token);
    expect(result.body).toEqual(jwtIssued);
    expect(sent).toHaveLength(1);
    const request = sent[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe(`${mockUrl}/auth/jwt`);
    expect(request.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(request.headers.get('x-fields')).toBeNull();
    expect(await request.text()).toBe(
      'username=3f8e2c1a-9b7d-4e5f-8a6b-2c4d6e8f0a1b&password=lk_live_9Qm2Xv7TzR4pN8sB3wY6cD1fH5jK0aLe&role=role_product',
    );
  });

  it('form-urlencoded with 2FA-token and X-Fields: exact field names, order and encoding', async () => {
    const { client, sent } = recordingClient();
    const result = await client.postJwtAuth(clientWith2fa);
    expect(result.accessToken).toBe(jwtIssued.access_token);
    const request = sent[0]!;
    expect(request.headers.get('x-fields')).toBe('{access_token}');
    expect(await request.text()).toBe(
      'username=ada.lovelace%40example.org' +
        '&password=correct+horse+battery+staple+%26+more+%3D+100%25+%E2%9C%93' +
        '&role=role_product&2FA-token=042917',
    );
  });

  it('multipart/form-data on request: a boundary, the same fields, accepted by Prism', async () => {
    const { client, sent } = recordingClient();
    const result = await client.postJwtAuth(clientWith2fa, { encoding: 'multipart' });
    expect(result.accessToken).toBe(jwtIssued.access_token);
    const request = sent[0]!;
    expect(request.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=\S+$/);
    const form = await request.formData();
    expect([...form.entries()]).toEqual([
      ['username', clientWith2fa.username],
      ['password', clientWith2fa.password],
      ['role', 'role_product'],
      ['2FA-token', '042917'],
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

describe('every declared error status surfaces as a typed AuthHttpError', () => {
  const errorStatuses = [...declaredResponses().keys()].filter((status) => status >= 400);

  it('the spec declares at least 400, 401 and 429', () => {
    expect(errorStatuses).toEqual(expect.arrayContaining([400, 401, 429]));
  });

  for (const status of errorStatuses) {
    it(`HTTP ${status}`, async () => {
      const declared = declaredResponses().get(status)!;
      const examples = Object.values(declared.content?.['application/json']?.examples ?? {});
      expect(examples.length).toBeGreaterThan(0);
      const example = examples[0]!.value as { code: string; message: string };
      const { client } = recordingClient({ headers: { Prefer: `code=${status}` } });
      const error = await client.postJwtAuth(product).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(AuthHttpError);
      const httpError = error as AuthHttpError;
      expect(httpError.status).toBe(status);
      expect(httpError.code).toBe(example.code);
      expect(httpError.body).toEqual(example);
      expect(httpError.message).toContain(String(status));
      expect(httpError.message).not.toContain(product.password);
      if (status === 429) {
        expect(declared.headers?.['Retry-After']).toBeDefined();
        expect(httpError.retryAfterSeconds).toBe(declared.headers?.['Retry-After']?.example);
      }
    });
  }
});

describe('Prism rejects raw requests that break the spec', () => {
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const formHeaders = { 'Content-Type': 'application/x-www-form-urlencoded' };
  const cases: [string, BodyInit, Record<string, string>, number][] = [
    ['a missing password', form({ username: 'u', role: 'role_product' }), formHeaders, 400],
    ['an empty username', form({ username: '', password: 'p', role: 'role_product' }), formHeaders, 400],
    ['a 2FA-token that is not digits', form({ username: 'u', password: 'p', role: 'role_product', '2FA-token': '12ab56' }), formHeaders, 400],
    // (Prism does not enforce `additionalProperties: false` on form bodies; the reference server does.)
    ['a username longer than maxLength', form({ username: 'u'.repeat(321), password: 'p', role: 'role_product' }), formHeaders, 400],
    ['a role that is not a role name', form({ username: 'u', password: 'p', role: 'Role Product!' }), formHeaders, 400],
    ['an invalid X-Fields header', form({ username: 'u', password: 'p', role: 'role_product' }), { ...formHeaders, 'X-Fields': '<script>' }, 400],
    ['the form sent as JSON', JSON.stringify({ username: 'u', password: 'p', role: 'role_product' }), { 'Content-Type': 'application/json' }, 415],
  ];
  for (const [what, body, headers, expected] of cases) {
    it(`${what} → ${expected}`, async () => {
      const response = await rawPost(body, headers);
      expect(response.status).toBe(expected);
      const errorBody = (await response.json()) as { code: string };
      expect(errorBody.code).toBe(expected === 415 ? 'unsupported_media_type' : 'invalid_request');
      if (expected === 400) expect(response.headers.get('sl-violations')).toBeTruthy();
    });
  }

  it('the same valid form is accepted (the cases above fail for their fault alone)', async () => {
    const response = await rawPost(form({ username: 'u', password: 'p', role: 'role_product', '2FA-token': '012345' }), {
      ...formHeaders,
      'X-Fields': '{access_token}',
    });
    expect(response.status).toBe(200);
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
