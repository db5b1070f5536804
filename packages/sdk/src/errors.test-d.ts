import { describe, expectTypeOf, it } from 'vitest';
import {
  type AuthError,
  AuthHttpError,
  type AuthInputError,
  AuthProtocolError,
  AuthTransportError,
  type ErrorBody,
  type ErrorCode,
  type TransportFailure,
} from './errors.js';
import type { components } from './generated/openapi.js';

type SpecErrorCode = components['schemas']['Error']['code'];

describe('error types', () => {
  it('AuthHttpError.code is the generated ErrorCode union (or undefined)', () => {
    expectTypeOf<AuthHttpError['code']>().toEqualTypeOf<SpecErrorCode | undefined>();
    expectTypeOf<ErrorCode>().toEqualTypeOf<SpecErrorCode>();
    expectTypeOf<ErrorCode>().toEqualTypeOf<
      | 'invalid_request'
      | 'invalid_credentials'
      | 'invalid_two_factor_token'
      | 'payload_too_large'
      | 'unsupported_media_type'
      | 'too_many_requests'
      | 'request_timeout'
      | 'internal_error'
    >();
    expectTypeOf<string>().not.toExtend<ErrorCode>();
  });

  it('AuthHttpError carries status, body, rawBody and retryAfterSeconds', () => {
    expectTypeOf<AuthHttpError['status']>().toEqualTypeOf<number>();
    expectTypeOf<AuthHttpError['body']>().toEqualTypeOf<ErrorBody | undefined>();
    expectTypeOf<ErrorBody>().toEqualTypeOf<components['schemas']['Error']>();
    expectTypeOf<AuthHttpError['rawBody']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<AuthHttpError['retryAfterSeconds']>().toEqualTypeOf<number | undefined>();
  });

  it('narrows on code', () => {
    const error = new AuthHttpError({
      status: 401,
      statusText: '',
      body: undefined,
      rawBody: undefined,
      retryAfterSeconds: undefined,
    });
    if (error.code === 'invalid_two_factor_token') expectTypeOf(error.code).toEqualTypeOf<'invalid_two_factor_token'>();
    // @ts-expect-error not a code the spec declares
    if (error.code === 'invalid_password') return;
  });

  it('every error is an AuthError and an Error', () => {
    expectTypeOf<AuthInputError>().toExtend<AuthError>();
    expectTypeOf<AuthHttpError>().toExtend<AuthError>();
    expectTypeOf<AuthProtocolError>().toExtend<AuthError>();
    expectTypeOf<AuthTransportError>().toExtend<AuthError>();
    expectTypeOf<AuthError>().toExtend<Error>();
  });

  it('other fields', () => {
    expectTypeOf<AuthInputError['field']>().toEqualTypeOf<string>();
    expectTypeOf<AuthProtocolError['status']>().toEqualTypeOf<number>();
    expectTypeOf<AuthTransportError['reason']>().toEqualTypeOf<TransportFailure>();
    expectTypeOf<TransportFailure>().toEqualTypeOf<'network' | 'timeout' | 'aborted'>();
    // @ts-expect-error reason is one of network, timeout, aborted
    void new AuthTransportError('dns', 'x');
  });

  it('fields are read-only', () => {
    const error = new AuthProtocolError(200, 'x');
    // @ts-expect-error status is read-only
    error.status = 201;
  });
});
