export { createAuthApi, type AuthApiOptions } from './api.js';
export {
  createAuthClient,
  parseRetryAfter,
  type AuthClient,
  type AuthClientOptions,
  type JavascriptWebToken,
  type LoginCallOptions,
  type LoginResult,
} from './client.js';
export {
  AuthError,
  AuthHttpError,
  AuthInputError,
  AuthProtocolError,
  AuthTransportError,
  type ErrorBody,
  type ErrorCode,
  type TransportFailure,
} from './errors.js';
export { defaultServerUrl } from './generated/jwt-auth-operation.js';
export type { components, operations, paths } from './generated/openapi.js';
export type { JwtAuthForm, LoginInput, Role } from './login-input.js';
export {
  createTokenSession,
  systemClock,
  type AuthorizationFormat,
  type AuthorizationMiddlewareOptions,
  type GetTokenOptions,
  type SessionClock,
  type SessionCredentials,
  type TokenSession,
  type TokenSessionOptions,
  type TwoFactorCodeRequest,
  type TwoFactorCodeSource,
} from './session.js';
