import { describe, expectTypeOf, it } from 'vitest';
import type { components } from './generated/openapi.js';
import {
  type JwtAuthForm,
  type LoginInput,
  type LoginRequestParts,
  type Role,
  toLoginRequest,
  wireNames,
} from './login-input.js';

describe('LoginInput', () => {
  it('has readable names, the 2FA code and fields as optional strings', () => {
    expectTypeOf<LoginInput['username']>().toEqualTypeOf<string>();
    expectTypeOf<LoginInput['password']>().toEqualTypeOf<string>();
    expectTypeOf<LoginInput['role']>().toEqualTypeOf<Role>();
    expectTypeOf<LoginInput['twoFactorToken']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<LoginInput['fields']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<keyof LoginInput>().toEqualTypeOf<'username' | 'password' | 'role' | 'twoFactorToken' | 'fields'>();
  });

  it('requires username, password and role, and nothing else', () => {
    expectTypeOf<{ username: string; password: string; role: 'role_product' }>().toExtend<LoginInput>();
    expectTypeOf<{ password: string; role: string }>().not.toExtend<LoginInput>();
    expectTypeOf<{ username: string; role: string }>().not.toExtend<LoginInput>();
    expectTypeOf<{ username: string; password: string }>().not.toExtend<LoginInput>();
    // @ts-expect-error username is required
    const noUsername: LoginInput = { password: 'p', role: 'role_product' };
    // @ts-expect-error password is required
    const noPassword: LoginInput = { username: 'u', role: 'role_product' };
    // @ts-expect-error role is required
    const noRole: LoginInput = { username: 'u', password: 'p' };
    // @ts-expect-error twoFactorToken must be a string (leading zeros matter)
    const numericCode: LoginInput = { username: 'u', password: 'p', role: 'role_product', twoFactorToken: 42917 };
    // @ts-expect-error password must be a string
    const bufferPassword: LoginInput = { username: 'u', password: new Uint8Array(1), role: 'role_product' };
    void [noUsername, noPassword, noRole, numericCode, bufferPassword];
  });

  it('offers role_product but accepts any role string', () => {
    expectTypeOf<'role_product'>().toExtend<Role>();
    expectTypeOf<string>().toExtend<Role>();
    // @ts-expect-error a role is a string
    const numericRole: Role = 1;
    void numericRole;
  });
});

describe('wireNames', () => {
  type WireName = (typeof wireNames)[keyof typeof wireNames];

  it('covers every key of the generated JwtAuthForm', () => {
    expectTypeOf<Exclude<keyof JwtAuthForm, WireName>>().toEqualTypeOf<never>();
  });

  it('names only keys of the generated JwtAuthForm', () => {
    expectTypeOf<Exclude<WireName, keyof JwtAuthForm>>().toEqualTypeOf<never>();
    expectTypeOf<WireName>().toEqualTypeOf<keyof JwtAuthForm>();
  });

  it('has an entry for every form option of LoginInput (all but the header)', () => {
    expectTypeOf<keyof typeof wireNames>().toEqualTypeOf<Exclude<keyof LoginInput, 'fields'>>();
    expectTypeOf(wireNames.twoFactorToken).toEqualTypeOf<'2FA-token'>();
  });

  it('JwtAuthForm is the generated schema, with 2FA-token optional', () => {
    expectTypeOf<JwtAuthForm>().toEqualTypeOf<components['schemas']['JwtAuthForm']>();
    expectTypeOf<JwtAuthForm>().toEqualTypeOf<{
      username: string;
      password: string;
      role: string;
      '2FA-token'?: string;
    }>();
  });
});

describe('toLoginRequest', () => {
  it('takes a LoginInput and returns the wire parts', () => {
    expectTypeOf(toLoginRequest).parameters.toEqualTypeOf<[input: LoginInput]>();
    expectTypeOf(toLoginRequest).returns.toEqualTypeOf<LoginRequestParts>();
    expectTypeOf<LoginRequestParts['entries']>().toEqualTypeOf<[string, string][]>();
    expectTypeOf<LoginRequestParts['xFields']>().toEqualTypeOf<string | undefined>();
  });
});
