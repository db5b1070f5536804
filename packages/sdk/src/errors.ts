import type { components } from './generated/openapi.js';

/** The JSON body of every error response the spec declares. */
export type ErrorBody = components['schemas']['Error'];
/** The machine-readable reasons an error response can give. */
export type ErrorCode = ErrorBody['code'];

/** Base class of every error the SDK throws for a login; never carries a submitted secret. */
export class AuthError extends Error {
  override name = 'AuthError';
}

/** The input was refused before anything was sent: a field is missing, empty, too long or malformed. */
export class AuthInputError extends AuthError {
  override name = 'AuthInputError';
  constructor(
    /** The option at fault, by its SDK name (e.g. `twoFactorToken`). */
    readonly field: string,
    /** What is wrong with it, without its value. */
    readonly problem: string,
  ) {
    super(`Invalid login input: ${field} ${problem}.`);
  }
}

/** The server answered with a non-2xx status. */
export class AuthHttpError extends AuthError {
  override name = 'AuthHttpError';
  /** The HTTP status code, e.g. 401. */
  readonly status: number;
  /** The reason from the error body, when the body is the spec's JSON error. */
  readonly code: ErrorCode | undefined;
  /** The error body, when it is the spec's JSON error (submitted secrets redacted). */
  readonly body: ErrorBody | undefined;
  /**
   * The raw response body when it is not the spec's JSON error (secrets redacted, at most 4 KiB). Of a body
   * larger than `maxResponseBytes`, its start, less the end where a secret may have been cut.
   */
  readonly rawBody: string | undefined;
  /** Seconds to wait before retrying, from `Retry-After` (429 and 503), else undefined. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: {
    status: number;
    statusText: string;
    body: ErrorBody | undefined;
    rawBody: string | undefined;
    retryAfterSeconds: number | undefined;
  }) {
    const reason = init.body ? `${init.body.code}: ${init.body.message}` : init.statusText || 'no JSON error body';
    const wait = init.retryAfterSeconds === undefined ? '' : ` (retry after ${init.retryAfterSeconds} s)`;
    super(`Login failed with HTTP ${init.status}: ${reason}${wait}`);
    this.status = init.status;
    this.code = init.body?.code;
    this.body = init.body;
    this.rawBody = init.rawBody;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

/** The server answered 2xx, but not with a usable token (not JSON, or no non-empty `access_token`). */
export class AuthProtocolError extends AuthError {
  override name = 'AuthProtocolError';
  constructor(
    /** The HTTP status code of the unusable response. */
    readonly status: number,
    /** What was wrong with the response, without its content. */
    readonly problem: string,
  ) {
    super(`Login response is unusable (HTTP ${status}): ${problem}.`);
  }
}

/** Why a login never got a response. */
export type TransportFailure = 'network' | 'timeout' | 'aborted';

/** No response: the network failed, the timeout elapsed, or the caller aborted. */
export class AuthTransportError extends AuthError {
  override name = 'AuthTransportError';
  constructor(
    /** `network`, `timeout` or `aborted`. */
    readonly reason: TransportFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
