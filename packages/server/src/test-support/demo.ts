// Test helpers: the documented demo accounts, a controllable clock, request builders and an
// independent check of error bodies against the spec's generated `Error` type.
import type { components } from '@lumminary/auth-sdk/spec';
import type { JSONWebKeySet } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { expect } from 'vitest';
import type { createAuthApp } from '../app.js';
import type { Clock } from '../clock.js';
import { demoCredentials } from '../demo-credentials.js';

/** The demo partner product, as packages/server/README.md documents it. */
export const demoProduct = demoCredentials.product;

/** The demo Client with 2FA, as packages/server/README.md documents it. */
export const demoClient = demoCredentials.client;

/** A fixed instant 5 s into a 30 s TOTP step (2031-05-06T12:00:05Z). */
export const t0 = Date.UTC(2031, 4, 6, 12, 0, 5);
export const stepMs = 30_000;

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  constructor(public ms: number = t0) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) an authenticator app shows at `ms` for `secret`. */
export function codeAt(ms: number, secret: string = demoClient.totpSecret): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: ms,
  });
}

export type Fields = readonly (readonly [string, string])[];
export type Encoding = 'form' | 'multipart';

export function productFields(extra: Fields = []): Fields {
  return [['username', demoProduct.username], ['password', demoProduct.password], ['role', demoProduct.role], ...extra];
}

export function clientFields(code: string | undefined, password: string = demoClient.password): Fields {
  const fields: [string, string][] = [
    ['username', demoClient.username],
    ['password', password],
    ['role', demoClient.role],
  ];
  if (code !== undefined) fields.push(['2FA-token', code]);
  return fields;
}

/** A request body in either encoding (fetch sets the multipart boundary itself). */
export function encode(
  fields: Fields,
  encoding: Encoding,
): { body: string | FormData; headers: Record<string, string> } {
  if (encoding === 'form') {
    return {
      body: new URLSearchParams(fields.map(([name, value]) => [name, value])).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    };
  }
  const form = new FormData();
  for (const [name, value] of fields) form.append(name, value);
  return { body: form, headers: {} };
}

type AnyApp = Pick<ReturnType<typeof createAuthApp>, 'request'>;

/** POSTs a login to the app in-process. */
export function login(
  app: AnyApp,
  fields: Fields,
  encoding: Encoding = 'form',
  headers: Record<string, string> = {},
): Promise<Response> {
  const request = encode(fields, encoding);
  return Promise.resolve(
    app.request('/auth/jwt', { method: 'POST', body: request.body, headers: { ...request.headers, ...headers } }),
  );
}

export async function jwksOf(app: AnyApp): Promise<JSONWebKeySet> {
  const response = await app.request('/.well-known/jwks.json');
  expect(response.status).toBe(200);
  return (await response.json()) as JSONWebKeySet;
}

type ErrorBody = components['schemas']['Error'];
/** The spec's error codes; `satisfies` breaks the build if the generated enum changes. */
export const specErrorCodes = {
  invalid_request: true,
  invalid_credentials: true,
  invalid_two_factor_token: true,
  payload_too_large: true,
  unsupported_media_type: true,
  too_many_requests: true,
  request_timeout: true,
  internal_error: true,
} as const satisfies Record<ErrorBody['code'], true>;

/** Checks a value against the shape of the generated `Error` type (and the schema's additionalProperties: false, minLength: 1). */
export function assertErrorBody(value: unknown): asserts value is ErrorBody {
  expect(typeof value === 'object' && value !== null && !Array.isArray(value), 'error body is a JSON object').toBe(
    true,
  );
  const record = value as Record<string, unknown>;
  expect(
    Object.keys(record).every((key) => ['code', 'message', 'errors'].includes(key)),
    'only code, message, errors',
  ).toBe(true);
  expect(Object.keys(specErrorCodes)).toContain(record.code);
  expect(typeof record.message === 'string' && record.message.length > 0, 'message is a non-empty string').toBe(true);
  const errors = record.errors;
  if (errors !== undefined) {
    expect(typeof errors === 'object' && errors !== null && !Array.isArray(errors), 'errors is an object').toBe(true);
    for (const problem of Object.values(errors as object)) expect(typeof problem).toBe('string');
  }
}

/** Asserts a JSON error response with the given status and code; returns the body and its raw text. */
export async function expectError(
  response: Response,
  status: number,
  code: ErrorBody['code'],
): Promise<{ body: ErrorBody; text: string }> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  expect(response.headers.get('Content-Type')).toMatch(/^application\/json\b/u);
  const body: unknown = JSON.parse(text);
  assertErrorBody(body);
  expect(body.code).toBe(code);
  return { body, text };
}

/** Asserts a 200 with exactly `{ access_token }`; returns the token. */
export async function expectToken(response: Response): Promise<string> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status: 200 });
  expect(response.headers.get('Cache-Control')).toBe('no-store');
  expect(response.headers.get('Content-Type')).toMatch(/^application\/json\b/u);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(['access_token']);
  const token = body.access_token;
  expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/u);
  return token as string;
}
