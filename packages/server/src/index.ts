export { createAuthApp, type AuthAppEnv, type AuthAppOptions, type JavascriptWebToken } from './app.js';
export { jwksPath, jwtAuthPath } from './routes.js';
export { startAuthServer, listenHost, type AuthServerOptions, type RunningAuthServer } from './server.js';
export {
  accessTokenLifetimeSeconds,
  defaultIssuer,
  verifyAccessToken,
  type AccessTokenClaims,
  type SigningKeyPair,
  type VerifyAccessTokenOptions,
} from './tokens.js';
export {
  accountsFileEnv,
  addAccount,
  AccountsFileError,
  demoAccountsFile,
  parseAccountsFile,
  readAccountsFile,
  type AccountRecord,
  type AccountsFile,
  type NewAccount,
} from './accounts.js';
export { defaultScryptParams, hashSecret, verifySecret, type ScryptParams, type SecretHash } from './secrets.js';
export { createTotp, createTotpSecret, defaultTotpIssuer, totpParams } from './totp.js';
export { systemClock, type Clock } from './clock.js';
export { maxBodyBytes, type ErrorBody, type ErrorCode } from './errors.js';
export type { RateLimitOptions } from './rate-limit.js';
export { demoCredentials } from './demo-credentials.js';
