import type { Middleware } from 'openapi-fetch';
import { describe, expectTypeOf, it } from 'vitest';
import { type AuthClient, createAuthClient } from './client.js';
import type { LoginInput } from './login-input.js';
import {
  type AuthorizationFormat,
  type AuthorizationMiddlewareOptions,
  createTokenSession,
  type SessionCredentials,
  type TokenSession,
  type TokenSessionOptions,
  type TwoFactorCodeSource,
} from './session.js';
import { totpCodeSource } from './totp.js';

const client: AuthClient = createAuthClient();
const credentials = { username: 'ada', password: 'pw', role: 'role_product' } as const;

describe('credentials never carry a 2FA code', () => {
  it('SessionCredentials is LoginInput without twoFactorToken', () => {
    expectTypeOf<Omit<SessionCredentials, 'twoFactorToken'>>().toEqualTypeOf<Omit<LoginInput, 'twoFactorToken'>>();
    expectTypeOf<SessionCredentials['twoFactorToken']>().toEqualTypeOf<undefined>();
    expectTypeOf<SessionCredentials>().toHaveProperty('password').toEqualTypeOf<string>();
  });

  it('a LoginInput variable (which may hold a code) is refused', () => {
    const input: LoginInput = { ...credentials, twoFactorToken: '123456' };
    // @ts-expect-error a LoginInput may carry a 2FA code, which the session would silently drop
    createTokenSession({ client, credentials: input });
  });

  it('an object literal with twoFactorToken is refused', () => {
    createTokenSession({ client, credentials });
    createTokenSession({
      client,
      // @ts-expect-error the session supplies 2FA codes itself (twoFactorCode), credentials must not hold one
      credentials: { ...credentials, twoFactorToken: '123456' },
    });
  });

  it('a credentials callback returning twoFactorToken is refused', () => {
    createTokenSession({ client, credentials: () => credentials });
    createTokenSession({ client, credentials: async () => credentials });
    // @ts-expect-error a callback's credentials must not hold a 2FA code either
    createTokenSession({ client, credentials: () => ({ ...credentials, twoFactorToken: '123456' }) });
  });

  it('2FA codes come from a TwoFactorCodeSource such as totpCodeSource', () => {
    // A synchronous source: usable wherever a TwoFactorCodeSource is, and callable with just { now }.
    expectTypeOf(totpCodeSource).returns.toExtend<TwoFactorCodeSource>();
    expectTypeOf(totpCodeSource('JBSWY3DPEHPK3PXP')({ now: 0 })).toEqualTypeOf<string>();
    expectTypeOf<TokenSessionOptions['twoFactorCode']>().toEqualTypeOf<TwoFactorCodeSource | undefined>();
    createTokenSession({ client, credentials, twoFactorCode: totpCodeSource('JBSWY3DPEHPK3PXP') });
    createTokenSession({ client, credentials, twoFactorCode: ({ now }) => String(now % 1_000_000).padStart(6, '0') });
    // @ts-expect-error a code is a string of digits, not a number (it may start with 0)
    createTokenSession({ client, credentials, twoFactorCode: () => 123456 });
  });
});

describe('middleware options', () => {
  const session: TokenSession = createTokenSession({ client, credentials });

  it('format only accepts the two literals', () => {
    expectTypeOf<AuthorizationFormat>().toEqualTypeOf<'rfc6750' | 'source-colon'>();
    expectTypeOf<AuthorizationMiddlewareOptions['format']>().toEqualTypeOf<AuthorizationFormat | undefined>();
    session.middleware({ format: 'rfc6750' });
    session.middleware({ format: 'source-colon' });
    // @ts-expect-error only 'rfc6750' or 'source-colon'
    session.middleware({ format: 'bearer' });
    // @ts-expect-error the literal header prefix is not a format name
    session.middleware({ format: 'Bearer:' });
    const widened: string = 'rfc6750';
    // @ts-expect-error a plain string is not narrowed to a format
    session.middleware({ format: widened });
  });

  it("middleware() returns openapi-fetch's Middleware", () => {
    expectTypeOf(session.middleware).returns.toEqualTypeOf<Middleware>();
    expectTypeOf(session.middleware()).toMatchTypeOf<Middleware>();
    expectTypeOf(session.middleware).parameter(0).toEqualTypeOf<AuthorizationMiddlewareOptions | undefined>();
  });

  it('getToken resolves to a string; loginCount is read-only', () => {
    expectTypeOf(session.getToken).returns.toEqualTypeOf<Promise<string>>();
    expectTypeOf(session.loginCount).toEqualTypeOf<number>();
    // @ts-expect-error loginCount is readonly
    session.loginCount = 0;
  });
});
