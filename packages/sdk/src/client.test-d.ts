import type { Client } from 'openapi-fetch';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AuthClient,
  type AuthClientOptions,
  createAuthClient,
  type JavascriptWebToken,
  type LoginCallOptions,
  type LoginResult,
  parseRetryAfter,
} from './client.js';
import { createAuthApi } from './api.js';
import type { components, paths } from './generated/openapi.js';
import type { LoginInput } from './login-input.js';

declare const auth: AuthClient;
const product = { username: 'u', password: 'p', role: 'role_product' } as const;

describe('createAuthClient', () => {
  it('takes optional options and returns an AuthClient', () => {
    expectTypeOf(createAuthClient).parameter(0).toEqualTypeOf<AuthClientOptions | undefined>();
    expectTypeOf(createAuthClient()).toEqualTypeOf<AuthClient>();
    expectTypeOf(
      createAuthClient({ baseUrl: 'https://auth.test/v1', fetch, timeoutMs: 50 }),
    ).toEqualTypeOf<AuthClient>();
    expectTypeOf<typeof globalThis.fetch>().toExtend<AuthClientOptions['fetch']>();
    expectTypeOf<undefined>().toExtend<AuthClientOptions['fetch']>();
    expectTypeOf<(url: string) => Promise<string>>().not.toExtend<AuthClientOptions['fetch']>();
    expectTypeOf<AuthClientOptions['headers']>().toEqualTypeOf<Record<string, string> | undefined>();
    expectTypeOf<AuthClient['baseUrl']>().toEqualTypeOf<string>();
  });

  it('refuses wrongly typed options', () => {
    // @ts-expect-error baseUrl is a string, not a URL object
    createAuthClient({ baseUrl: new URL('https://auth.test') });
    // @ts-expect-error timeoutMs is a number of milliseconds
    createAuthClient({ timeoutMs: '50' });
    // @ts-expect-error header values are strings
    createAuthClient({ headers: { 'X-Count': 1 } });
    // @ts-expect-error unknown option
    createAuthClient({ retries: 3 });
  });
});

describe('postJwtAuth', () => {
  it('resolves to a LoginResult with a string token and the generated body type', () => {
    expectTypeOf(auth.postJwtAuth).parameter(0).toEqualTypeOf<LoginInput>();
    expectTypeOf(auth.postJwtAuth).parameter(1).toEqualTypeOf<LoginCallOptions | undefined>();
    expectTypeOf(auth.postJwtAuth(product)).toEqualTypeOf<Promise<LoginResult>>();
    expectTypeOf<LoginResult>().toEqualTypeOf<{ accessToken: string; body: JavascriptWebToken }>();
    expectTypeOf<JavascriptWebToken>().toEqualTypeOf<components['schemas']['JavascriptWebToken']>();
    expectTypeOf<JavascriptWebToken>().toEqualTypeOf<{ access_token: string }>();
  });

  it('requires username, password and role', () => {
    // @ts-expect-error username is required
    void auth.postJwtAuth({ password: 'p', role: 'role_product' });
    // @ts-expect-error password is required
    void auth.postJwtAuth({ username: 'u', role: 'role_product' });
    // @ts-expect-error role is required
    void auth.postJwtAuth({ username: 'u', password: 'p' });
    // @ts-expect-error the input is required
    void auth.postJwtAuth();
  });

  it('takes the 2FA code only as a string', () => {
    void auth.postJwtAuth({ ...product, twoFactorToken: '042917' });
    void auth.postJwtAuth({ ...product, twoFactorToken: undefined });
    // @ts-expect-error a 2FA code as a number would lose leading zeros
    void auth.postJwtAuth({ ...product, twoFactorToken: 42917 });
    // @ts-expect-error the readable name is twoFactorToken, not the wire name
    void auth.postJwtAuth({ ...product, '2FA-token': '042917' });
  });

  it('checks the call options', () => {
    void auth.postJwtAuth(product, { encoding: 'multipart', signal: AbortSignal.timeout(10), timeoutMs: 5 });
    // @ts-expect-error encoding is 'form' or 'multipart'
    void auth.postJwtAuth(product, { encoding: 'json' });
    // @ts-expect-error signal is an AbortSignal
    void auth.postJwtAuth(product, { signal: new AbortController() });
    expectTypeOf<LoginCallOptions['encoding']>().toEqualTypeOf<'form' | 'multipart' | undefined>();
  });
});

describe('createAuthApi (openapi-fetch, typed by the generated paths)', () => {
  const api = createAuthApi();
  it('is a Client of paths', () => {
    expectTypeOf(api).toEqualTypeOf<Client<paths>>();
  });

  it('knows only POST /auth/jwt', () => {
    void api.POST('/auth/jwt', { body: { username: 'u', password: 'p', role: 'role_product', '2FA-token': '042917' } });
    // @ts-expect-error no such path in the spec
    void api.POST('/nope', { body: {} });
    // @ts-expect-error /auth/jwt has no GET
    void api.GET('/auth/jwt');
    // @ts-expect-error the form requires role
    void api.POST('/auth/jwt', { body: { username: 'u', password: 'p' } });
    // @ts-expect-error X-Fields is a string
    void api.POST('/auth/jwt', { body: product, params: { header: { 'X-Fields': 1 } } });
  });

  it('types data and error from the spec responses', async () => {
    const { data, error } = await api.POST('/auth/jwt', { body: product });
    expectTypeOf(data).toEqualTypeOf<{ access_token: string } | undefined>();
    expectTypeOf(error).toEqualTypeOf<components['schemas']['Error'] | undefined>();
  });
});

describe('parseRetryAfter', () => {
  it('takes a header value (or null) and returns seconds or undefined', () => {
    expectTypeOf(parseRetryAfter).parameters.toEqualTypeOf<[header: string | null, now?: number]>();
    expectTypeOf(parseRetryAfter).returns.toEqualTypeOf<number | undefined>();
    // @ts-expect-error the header is a string, not a number of seconds
    parseRetryAfter(30);
  });
});
