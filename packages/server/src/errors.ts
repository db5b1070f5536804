import { maxBodyBytes, type components } from '@lumminary/auth-sdk/spec';

/** The JSON body of every error response (generated from the spec's `Error` schema). */
export type ErrorBody = components['schemas']['Error'];
/** The machine-readable reasons the spec allows. */
export type ErrorCode = ErrorBody['code'];
/** The statuses the spec declares for POST /auth/jwt errors. */
export type ErrorStatus = 400 | 401 | 408 | 413 | 415 | 429 | 500;

/** Each spec error code with its HTTP status; `satisfies` fails to compile when the spec's enum changes. */
export const errorStatusByCode = {
  invalid_request: 400,
  invalid_credentials: 401,
  invalid_two_factor_token: 401,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  request_timeout: 408,
  internal_error: 500,
} as const satisfies Record<ErrorCode, ErrorStatus>;

/** The largest request body accepted, in bytes (the spec's `x-max-body-bytes`). */
export { maxBodyBytes };

/** Fixed messages, so that no error body ever echoes a submitted value. */
export const errorMessages = {
  invalidForm: 'The login form is not valid.',
  invalidHeader: 'A request header is not valid.',
  invalidCredentials: 'The username, password or role is not valid.',
  invalidTwoFactorToken: 'The 2FA token is missing, wrong, expired or already used.',
  payloadTooLarge: `The request body is larger than ${maxBodyBytes} bytes.`,
  unsupportedMediaType: 'Send the form as application/x-www-form-urlencoded or multipart/form-data.',
  tooManyRequests: 'Too many failed attempts. Try again later.',
  methodNotAllowed: 'This method is not allowed on this path.',
  notFound: 'There is nothing at this path.',
  internal: 'The server failed to handle the request.',
  requestTimeout: 'The request was not received in time.',
} as const;

/** Builds an error body; `errors` is left out when empty. */
export function errorBody(code: ErrorCode, message: string, errors?: Record<string, string>): ErrorBody {
  return errors !== undefined && Object.keys(errors).length > 0 ? { code, message, errors } : { code, message };
}

/** The body of a 500: never carries details of the failure. */
export const internalErrorBody: ErrorBody = { code: 'internal_error', message: errorMessages.internal };
