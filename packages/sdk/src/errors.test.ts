import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AuthError, AuthHttpError, AuthInputError, AuthProtocolError, AuthTransportError } from './errors.js';

describe('error classes', () => {
  it('all extend AuthError and Error, with their own name', () => {
    const errors = [
      new AuthInputError('password', 'must not be empty'),
      new AuthHttpError({
        status: 401,
        statusText: 'Unauthorized',
        body: undefined,
        rawBody: undefined,
        retryAfterSeconds: undefined,
      }),
      new AuthProtocolError(200, 'the body is not valid JSON'),
      new AuthTransportError('network', 'Could not reach https://auth.test'),
    ];
    expect(errors.map((error) => error.name)).toEqual([
      'AuthInputError',
      'AuthHttpError',
      'AuthProtocolError',
      'AuthTransportError',
    ]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(AuthError);
      expect(error).toBeInstanceOf(Error);
      expect(String(error)).toBe(`${error.name}: ${error.message}`);
      expect(inspect(error)).toContain(error.name);
    }
    expect(new AuthError('x').name).toBe('AuthError');
  });

  it('AuthInputError names the option and the problem', () => {
    const error = new AuthInputError('twoFactorToken', 'must be 6 to 8 digits');
    expect(error.field).toBe('twoFactorToken');
    expect(error.problem).toBe('must be 6 to 8 digits');
    expect(error.message).toBe('Invalid login input: twoFactorToken must be 6 to 8 digits.');
  });

  it('AuthHttpError takes code from the body and builds its message', () => {
    const error = new AuthHttpError({
      status: 429,
      statusText: 'Too Many Requests',
      body: { code: 'too_many_requests', message: 'Try again later.' },
      rawBody: undefined,
      retryAfterSeconds: 30,
    });
    expect(error.status).toBe(429);
    expect(error.code).toBe('too_many_requests');
    expect(error.retryAfterSeconds).toBe(30);
    expect(error.message).toBe('Login failed with HTTP 429: too_many_requests: Try again later. (retry after 30 s)');
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      status: 429,
      code: 'too_many_requests',
      retryAfterSeconds: 30,
    });
  });

  it('AuthHttpError without a JSON body falls back to the status text', () => {
    const init = { status: 502, body: undefined, rawBody: '<html/>', retryAfterSeconds: undefined };
    expect(new AuthHttpError({ ...init, statusText: 'Bad Gateway' }).message).toBe(
      'Login failed with HTTP 502: Bad Gateway',
    );
    const bare = new AuthHttpError({ ...init, statusText: '' });
    expect(bare.message).toBe('Login failed with HTTP 502: no JSON error body');
    expect(bare.code).toBeUndefined();
    expect(bare.rawBody).toBe('<html/>');
  });

  it('AuthProtocolError carries the status and the problem', () => {
    const error = new AuthProtocolError(200, 'the body has no non-empty access_token');
    expect(error.status).toBe(200);
    expect(error.message).toBe('Login response is unusable (HTTP 200): the body has no non-empty access_token.');
  });

  it('AuthTransportError carries the reason and the cause', () => {
    const cause = new Error('ECONNRESET');
    const error = new AuthTransportError('network', 'Could not reach https://auth.test', { cause });
    expect(error.reason).toBe('network');
    expect(error.cause).toBe(cause);
    expect(new AuthTransportError('timeout', 'Login timed out after 5 ms').cause).toBeUndefined();
  });
});
