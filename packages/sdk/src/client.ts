import { AuthError, AuthHttpError, AuthProtocolError, AuthTransportError, type ErrorBody } from './errors.js';
import { defaultServerUrl, errorCodes, jwtAuthContentTypes } from './generated/jwt-auth-operation.js';
import type { components, paths } from './generated/openapi.js';
import { checkMultipart, type LoginInput, toLoginRequest } from './login-input.js';
import { redact, redactDeep } from './redact.js';

/** The login path, checked against the generated paths. */
const jwtAuthPath = '/auth/jwt' satisfies keyof paths;

/** The success body of `POST /auth/jwt` (generated from the spec). */
export type JavascriptWebToken = components['schemas']['JavascriptWebToken'];

/** Options of `createAuthClient`. */
export interface AuthClientOptions {
  /** Server URL, `/v1` included. Default: the spec's server, `https://api.lumminary.com/v1`. */
  baseUrl?: string | undefined;
  /** The `fetch` to use (for tests, proxies or custom agents). Default: `globalThis.fetch`. */
  fetch?: ((request: Request) => Promise<Response>) | undefined;
  /** Default per-login timeout in milliseconds, covering the whole response. Default: 10 000. */
  timeoutMs?: number | undefined;
  /** The most response-body bytes read; a larger body is an error, never buffered whole. Default: 65 536. */
  maxResponseBytes?: number | undefined;
  /** Extra headers sent with every request (e.g. `User-Agent`). */
  headers?: Record<string, string> | undefined;
  /** Allow plain `http:` to a host other than loopback (sends credentials unencrypted). Default: false. */
  allowInsecureHttp?: boolean | undefined;
}

/** Options of one login call. */
export interface LoginCallOptions {
  /** Body encoding: `form` (application/x-www-form-urlencoded, the default) or `multipart` (multipart/form-data). */
  encoding?: 'form' | 'multipart' | undefined;
  /** Aborts the login; it then rejects with an `AuthTransportError` whose reason is `aborted`. */
  signal?: AbortSignal | undefined;
  /** Timeout in milliseconds for this call, overriding the client's. */
  timeoutMs?: number | undefined;
}

/** A successful login. */
export interface LoginResult {
  /** The JWT to send to protected resources; valid for 30 seconds from when it was issued. */
  accessToken: string;
  /** The response body as the server sent it. */
  body: JavascriptWebToken;
}

/** A client for the Lumminary auth endpoint. */
export interface AuthClient {
  /** Logs in (`POST /auth/jwt`) and resolves to the access token; rejects with an `AuthError`. */
  postJwtAuth(input: LoginInput, options?: LoginCallOptions): Promise<LoginResult>;
  /** The server URL this client sends to. */
  readonly baseUrl: string;
}

const defaultTimeoutMs = 10_000;
const maxTimeoutMs = 2_147_483_647;
const rawBodyLimit = 4096;

/**
 * Reads at most `limit` bytes of a body as UTF-8 and cancels the rest, so that a huge or
 * endless response costs bounded memory. `complete` is false when the body was longer.
 */
async function readBounded(response: Response, limit: number): Promise<{ text: string; complete: boolean }> {
  const reader = response.body?.getReader();
  if (!reader) return { text: '', complete: true };
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: text + decoder.decode(), complete: true };
    bytes += value.byteLength;
    if (bytes > limit) {
      reader.cancel().catch(ignore);
      return { text: text + decoder.decode(value.subarray(0, value.byteLength - (bytes - limit))), complete: false };
    }
    text += decoder.decode(value, { stream: true });
  }
}
const [formContentType] = jwtAuthContentTypes;

const ignore = () => {};
const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Checks and normalises a base URL (no trailing slash). Throws `TypeError` with the reason. */
export function checkBaseUrl(baseUrl: string, allowInsecureHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError('baseUrl must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('baseUrl must use http or https');
  if (url.protocol === 'http:' && !allowInsecureHttp && !loopbackHosts.has(url.hostname)) {
    throw new TypeError('baseUrl uses plain http to a non-loopback host; use https (or set allowInsecureHttp)');
  }
  if (url.username || url.password) throw new TypeError('baseUrl must not contain credentials');
  // A query or fragment shows in href, even an empty one (a bare `?` or `#` leaves search and hash empty).
  if (/[?#]/u.test(url.href)) {
    throw new TypeError('baseUrl must not contain a query or fragment');
  }
  // The parsed form: the URL parser drops surrounding whitespace and line breaks that a plain string would keep.
  return url.href.replace(/\/+$/u, '');
}

/** Checks a whole-number option from 1 to `max`. Throws `RangeError` naming it. */
function checkCount(name: string, value: number, max = maxTimeoutMs): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${name} must be an integer from 1 to ${max}`);
  }
  return value;
}

/** An HTTP date (RFC 9110, section 5.6.7): IMF-fixdate or obsolete RFC 850 (both `GMT`), or asctime (GMT, unsaid). */
const httpDate = /^[A-Z][a-z]{2,8},? [\w -]+ \d\d:\d\d:\d\d (?:GMT|\d{4})$/u;

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/u.test(trimmed)) return Number(trimmed);
  // Date.parse alone accepts almost anything (e.g. "1.5" or "-5"), and reads asctime as local time.
  const date = httpDate.test(trimmed) ? Date.parse(trimmed.endsWith('GMT') ? trimmed : `${trimmed} GMT`) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

const knownErrorCodes: ReadonlySet<string> = new Set(errorCodes);

/** True for the spec's JSON error body: a code from its enum and a message. */
function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    knownErrorCodes.has((value as ErrorBody).code) &&
    typeof (value as ErrorBody).message === 'string'
  );
}

function httpError(response: Response, error: unknown, secrets: readonly string[], cut: boolean): AuthHttpError {
  // Redact before serializing (JSON would escape a secret holding `"` or `\`) and before cutting (or part stays).
  const redacted = redactDeep(error, secrets, cut);
  const body = isErrorBody(error) ? (redacted as ErrorBody) : undefined;
  const rawBody =
    body || error === undefined
      ? undefined
      : (typeof redacted === 'string' ? redacted : JSON.stringify(redacted)).slice(0, rawBodyLimit);
  const retryAfterSeconds =
    response.status === 429 || response.status === 503
      ? parseRetryAfter(response.headers.get('Retry-After'))
      : undefined;
  return new AuthHttpError({
    status: response.status,
    statusText: redact(response.statusText, secrets),
    body,
    rawBody,
    retryAfterSeconds,
  });
}

/** An error body as JSON when it parses, else the raw text (undefined when empty). */
function parseErrorBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function parseJson(text: string, status: number): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message quotes the body, which may hold a token: never pass it on.
    throw new AuthProtocolError(status, 'the body is not valid JSON');
  }
}

function tokenFrom(data: unknown, status: number): LoginResult {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new AuthProtocolError(status, 'the body is not a JSON object');
  }
  const accessToken = (data as Partial<JavascriptWebToken>).access_token;
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    throw new AuthProtocolError(status, 'the body has no non-empty access_token');
  }
  return { accessToken, body: data as JavascriptWebToken };
}

function multipartBody(entries: [string, string][]): FormData {
  const form = new FormData();
  for (const [name, value] of entries) form.append(name, value);
  return form;
}

/** Creates a client for `POST /auth/jwt`. Throws `TypeError`/`RangeError` on invalid options. */
export function createAuthClient(options: AuthClientOptions = {}): AuthClient {
  const baseUrl = checkBaseUrl(options.baseUrl ?? defaultServerUrl, options.allowInsecureHttp ?? false);
  const clientTimeoutMs = checkCount('timeoutMs', options.timeoutMs ?? defaultTimeoutMs);
  const maxResponseBytes = checkCount('maxResponseBytes', options.maxResponseBytes ?? 65_536, 2 ** 30);
  if (options.fetch !== undefined && typeof options.fetch !== 'function')
    throw new TypeError('fetch must be a function');
  // Late-bound, so that a fetch replaced after creation (e.g. by a test) is used.
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const url = `${baseUrl}${jwtAuthPath}`;
  const clientHeaders = { Accept: 'application/json', ...options.headers };

  async function postJwtAuth(input: LoginInput, callOptions: LoginCallOptions = {}): Promise<LoginResult> {
    const { entries, xFields, secrets } = toLoginRequest(input);
    const encoding = callOptions.encoding ?? 'form';
    if (encoding !== 'form' && encoding !== 'multipart') {
      throw new RangeError("encoding must be 'form' or 'multipart'");
    }
    if (encoding === 'multipart') checkMultipart(entries);
    const timeoutMs =
      callOptions.timeoutMs === undefined ? clientTimeoutMs : checkCount('timeoutMs', callOptions.timeoutMs);
    const userSignal = callOptions.signal;
    if (userSignal?.aborted) {
      throw new AuthTransportError('aborted', 'Login aborted', { cause: userSignal.reason });
    }

    const controller = new AbortController();
    const onUserAbort = () => controller.abort(userSignal?.reason);
    userSignal?.addEventListener('abort', onUserAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);

    // Settles on abort even when an injected fetch ignores the request's signal.
    const abortion = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    try {
      const headers = new Headers(clientHeaders);
      // Multipart: fetch writes the Content-Type with its boundary itself.
      if (encoding === 'form') headers.set('Content-Type', formContentType);
      if (xFields !== undefined) headers.set('X-Fields', xFields);
      const request = new Request(url, {
        method: 'POST',
        headers,
        body: encoding === 'form' ? new URLSearchParams(entries) : multipartBody(entries),
        signal: controller.signal,
        // Following a redirect would send the credentials again, elsewhere, maybe over plain http: a 3xx is
        // an AuthHttpError (in browsers an opaque one, status 0).
        redirect: 'manual',
      });
      const exchange = send(request).then(async (response) => ({
        response,
        ...(await readBounded(response, maxResponseBytes)),
      }));
      // Whichever loses the race below must not become an unhandled rejection.
      exchange.catch(ignore);
      abortion.catch(ignore);
      const { response, text, complete } = await Promise.race([exchange, abortion]);
      if (!response.ok) throw httpError(response, complete ? parseErrorBody(text) : text, secrets, !complete);
      if (!complete) throw new AuthProtocolError(response.status, `the body is larger than ${maxResponseBytes} bytes`);
      return tokenFrom(parseJson(text, response.status), response.status);
    } catch (caught) {
      if (caught instanceof AuthError) throw caught;
      if (timedOut) throw new AuthTransportError('timeout', `Login timed out after ${timeoutMs} ms`);
      if (userSignal?.aborted) {
        throw new AuthTransportError('aborted', 'Login aborted', { cause: userSignal.reason });
      }
      throw new AuthTransportError('network', `Could not reach ${new URL(baseUrl).origin}`, {
        cause: caught,
      });
    } finally {
      clearTimeout(timer);
      userSignal?.removeEventListener('abort', onUserAbort);
    }
  }

  return { postJwtAuth, baseUrl };
}
