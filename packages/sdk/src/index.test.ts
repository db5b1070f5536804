import { describe, expect, it } from 'vitest';
import * as client from './client.js';
import * as errors from './errors.js';
import * as operation from './generated/jwt-auth-operation.js';
import * as sdk from './index.js';

describe('package entry point', () => {
  it('exports the public runtime API of the login client', () => {
    expect(Object.keys(sdk)).toEqual(
      expect.arrayContaining([
        'AuthError',
        'AuthHttpError',
        'AuthInputError',
        'AuthProtocolError',
        'AuthTransportError',
        'createAuthClient',
        'defaultServerUrl',
        'parseRetryAfter',
      ]),
    );
    // Internals stay internal.
    for (const name of ['toLoginRequest', 'checkMultipart', 'wireNames', 'redact', 'redactDeep']) {
      expect(sdk).not.toHaveProperty(name);
    }
  });

  it('re-exports the same objects as the modules', () => {
    expect(sdk.createAuthClient).toBe(client.createAuthClient);
    expect(sdk.parseRetryAfter).toBe(client.parseRetryAfter);
    expect(sdk.AuthError).toBe(errors.AuthError);
    expect(sdk.AuthHttpError).toBe(errors.AuthHttpError);
    expect(sdk.AuthInputError).toBe(errors.AuthInputError);
    expect(sdk.AuthProtocolError).toBe(errors.AuthProtocolError);
    expect(sdk.AuthTransportError).toBe(errors.AuthTransportError);
    expect(sdk.defaultServerUrl).toBe(operation.defaultServerUrl);
    expect(sdk.defaultServerUrl).toBe('https://api.lumminary.com/v1');
  });
});
