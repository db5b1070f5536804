// The server battery's harness: a real reference server listening on loopback with its request log
// captured, the demo accounts, a clock the tests move, RFC 6238 codes computed here (independently of
// the server's TOTP library), and checks of answers against the spec's declared statuses and Error schema.
import { createHmac } from 'node:crypto';
import type { components } from '@lumminary/auth-sdk';
import { errorCodes } from '@lumminary/auth-sdk/spec';
import {
  type AuthServerOptions,
  demoCredentials,
  type RunningAuthServer,
  startAuthServer,
} from '@lumminary/auth-server';

/** The demo partner product (packages/server/README.md). */
export const demoProduct = demoCredentials.product;

/** The demo Client with 2FA (packages/server/README.md). */
export const demoClient = demoCredentials.client;

export const jwtAuthPath = '/auth/jwt';
export const jwksPath = '/.well-known/jwks.json';
export const formType = 'application/x-www-form-urlencoded';
export const stepMs = 30_000;
/** A fixed instant, 5 s into a 30 s TOTP step (2031-05-06T12:00:05Z). */
export const t0 = Date.UTC(2031, 4, 6, 12, 0, 5);

/** A clock the test moves by hand (the server's `clock` option). */
export class TestClock {
  constructor(public ms: number = t0) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

function base32Bytes(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of text.replace(/=+$/u, '').toUpperCase()) {
    const index = alphabet.indexOf(char);
    if (index === -1) throw new RangeError('not base32');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The RFC 6238 code (HMAC-SHA-1, 6 digits, 30 s) for the step holding `ms`, computed from the RFC. */
export function totpAt(ms: number, secretBase32: string = demoClient.totpSecret): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / stepMs)));
  const mac = createHmac('sha1', base32Bytes(secretBase32)).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

/** A listening reference server whose request log lines are kept in `logs`. */
export interface CapturedServer extends RunningAuthServer {
  logs: string[];
}

/** Starts the reference server on 127.0.0.1 (a free port) with its `log` captured (`quiet: false`). */
export async function startCapturedServer(
  options: Omit<AuthServerOptions, 'log' | 'quiet' | 'port'> = {},
): Promise<CapturedServer> {
  const logs: string[] = [];
  const server = await startAuthServer({ ...options, quiet: false, port: 0, log: (line) => logs.push(line) });
  return { url: server.url, port: server.port, close: () => server.close(), logs };
}

/** A form body, encoded as the original SDK sends it (URLSearchParams: space as `+`). */
export function formBody(fields: readonly (readonly [string, string])[]): string {
  return new URLSearchParams(fields.map(([name, value]) => [name, value])).toString();
}

export function productFields(password: string = demoProduct.password): [string, string][] {
  return [
    ['username', demoProduct.username],
    ['password', password],
    ['role', demoProduct.role],
  ];
}

export function clientFields(code: string | undefined, password: string = demoClient.password): [string, string][] {
  const fields: [string, string][] = [
    ['username', demoClient.username],
    ['password', password],
    ['role', demoClient.role],
  ];
  if (code !== undefined) fields.push(['2FA-token', code]);
  return fields;
}

/** POSTs a urlencoded login over a real socket (fetch), with a bound on the whole exchange. */
export function postForm(
  baseUrl: string,
  fields: readonly (readonly [string, string])[],
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${baseUrl}${jwtAuthPath}`, {
    method: 'POST',
    body: formBody(fields),
    headers: { 'Content-Type': formType, ...headers },
    signal: AbortSignal.timeout(20_000),
  });
}

type ErrorCode = components['schemas']['Error']['code'];

/** The status of each code, from the spec's responses (written out here, not taken from the server). */
export const statusOfCode = {
  invalid_request: 400,
  invalid_credentials: 401,
  invalid_two_factor_token: 401,
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  internal_error: 500,
} as const satisfies Record<ErrorCode, number>;

/** The statuses the spec declares for errors a client can cause (500 is declared too, but never for client input). */
export const clientErrorStatuses: readonly number[] = [400, 401, 408, 413, 415, 429];

const specCodes: ReadonlySet<string> = new Set(errorCodes);

/**
 * What is wrong with an error answer: a status outside `expected` (or outside the declared client
 * errors), not JSON, not the spec's Error shape, a code from outside its enum or not matching the
 * status, a 429 without a valid Retry-After. An empty list means the answer is right.
 */
export function errorAnswerProblems(
  status: number,
  headers: { get(name: string): string | null | undefined },
  text: string,
  expected: readonly number[] = clientErrorStatuses,
): string[] {
  const problems: string[] = [];
  if (!expected.includes(status)) problems.push(`status ${status}, expected one of ${expected.join('/')}`);
  if (!clientErrorStatuses.includes(status)) problems.push(`status ${status} is not a declared client error`);
  if (!/^application\/json\b/u.test(headers.get('content-type') ?? '')) {
    problems.push(`content-type ${JSON.stringify(headers.get('content-type') ?? null)} is not JSON`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    problems.push('the body is not JSON');
    return problems;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [...problems, 'not a JSON object'];
  const record = body as Record<string, unknown>;
  const extra = Object.keys(record).filter((key) => !['code', 'message', 'errors'].includes(key));
  if (extra.length > 0) problems.push(`properties outside the Error schema: ${extra.join(', ')}`);
  const code = record.code;
  if (typeof code !== 'string' || !specCodes.has(code)) problems.push(`code ${JSON.stringify(code)} not in the enum`);
  else if (statusOfCode[code as ErrorCode] !== status) problems.push(`code ${code} does not go with status ${status}`);
  if (typeof record.message !== 'string' || record.message.length === 0) problems.push('no message');
  if (record.errors !== undefined) {
    const errors = record.errors;
    if (typeof errors !== 'object' || errors === null || Array.isArray(errors)) problems.push('errors not an object');
    else if (!Object.values(errors).every((value) => typeof value === 'string')) problems.push('errors not strings');
  }
  if (status === 429) {
    const retryAfter = headers.get('retry-after') ?? '';
    if (!/^\d+$/u.test(retryAfter) || Number(retryAfter) < 1 || Number(retryAfter) > 86_400) {
      problems.push(`Retry-After ${JSON.stringify(retryAfter)} is not 1..86400 seconds`);
    }
  }
  return problems;
}

const logLine =
  /^(?:(?:[A-Z][A-Z-]{0,19}|\(other method\)) (?:\/auth\/jwt|\/\.well-known\/jwks\.json|\(unknown path\))|\([a-z ]+\)) (\d{3})(?: |$)/u;

/** The status a request log line reports (`POST /auth/jwt 401 57.3ms`, `(unparsed request) 400 HPE_…`), or NaN. */
export function loggedStatus(line: string): number {
  const match = logLine.exec(line);
  return match === null ? Number.NaN : Number(match[1]);
}

/** Log lines that report a server failure (a 5xx, an internal error) or that do not have the documented shape. */
export function badLogLines(lines: readonly string[]): string[] {
  return lines.filter((line) => {
    const status = loggedStatus(line);
    return Number.isNaN(status) || status >= 500 || /internal error/u.test(line);
  });
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
