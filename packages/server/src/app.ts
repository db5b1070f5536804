import type { IncomingMessage } from 'node:http';
import type { components } from '@lumminary/auth-sdk/spec';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import {
  accountsFileEnv,
  demoAccountsFile,
  parseAccountsFile,
  readAccountsFile,
  toAccounts,
  type AccountsFile,
} from './accounts.js';
import { systemClock, type Clock } from './clock.js';
import { formContentType, type FormContentType } from './content-type.js';
import {
  errorBody,
  errorMessages,
  errorStatusByCode,
  internalErrorBody,
  maxBodyBytes,
  type ErrorCode,
} from './errors.js';
import { applyFieldsMask } from './fields-mask.js';
import { bodyErrorKey } from './form.js';
import { readLoginRequest } from './login-request.js';
import { requestLogLine } from './logging.js';
import { jwksPath, jwtAuthPath } from './routes.js';
import { FailureCounter, retryAfterSeconds, type RateLimitOptions } from './rate-limit.js';
import { dummySecretHash, verifySecret } from './secrets.js';
import { createTokenIssuer, defaultIssuer, type SigningKeyPair } from './tokens.js';
import { TotpVerifier } from './totp.js';

/** The success body of POST /auth/jwt (generated from the spec). */
export type JavascriptWebToken = components['schemas']['JavascriptWebToken'];

/** Options of `createAuthApp`. */
export interface AuthAppOptions {
  /** Path of a JSON accounts file. Default: `$LUMMINARY_ACCOUNTS_FILE`, else the demo accounts shipped with the package. */
  accountsFile?: string | undefined;
  /** An accounts document to use instead of a file (validated the same way). */
  accounts?: AccountsFile | undefined;
  /** The clock for TOTP steps, `iat`/`exp` and rate-limit windows. Default: the system clock. */
  clock?: Clock | undefined;
  /** The ES256 key pair to sign tokens with. Default: a fresh pair generated at start. */
  signingKey?: SigningKeyPair | undefined;
  /** The `iss` claim of issued tokens. Default: `urn:lumminary:reference-auth-server`. */
  issuer?: string | undefined;
  /** Limits of failed logins per account and per client address. */
  rateLimit?: RateLimitOptions | undefined;
  /** Tells clients apart for rate limiting. Default: the socket's remote address (`unknown` without a socket). */
  clientAddress?: ((request: Request, incoming: IncomingMessage | undefined) => string | undefined) | undefined;
  /** Where request log lines go (one per request: method, path, status, ms). Default: `console.log`. */
  log?: ((line: string) => void) | undefined;
  /** Write no request logs (for tests). Default: false. */
  quiet?: boolean | undefined;
  /** The environment to read `LUMMINARY_ACCOUNTS_FILE` from. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** The Hono environment of the app: the Node request (when served by @hono/node-server) and per-request variables. */
export type AuthAppEnv = { Bindings: { incoming?: IncomingMessage }; Variables: { failure: string } };

const noStore = { 'Cache-Control': 'no-store' } as const;

interface Failure {
  code: ErrorCode;
  message: string;
  errors?: Record<string, string> | undefined;
  headers?: Record<string, string> | undefined;
  /** Only for routing errors (404, 405), which the spec does not declare; otherwise the code's status. */
  status?: 404 | 405 | undefined;
}

function fail(c: Context<AuthAppEnv>, { code, message, errors, headers = {}, status }: Failure): Response {
  return c.json(errorBody(code, message, errors), status ?? errorStatusByCode[code], { ...noStore, ...headers });
}

function invalid(c: Context<AuthAppEnv>, message: string, errors: Record<string, string>): Response {
  return fail(c, { code: 'invalid_request', message, errors });
}

function methodNotAllowed(allow: string): (c: Context<AuthAppEnv>) => Response {
  return (c) =>
    fail(c, {
      code: 'invalid_request',
      message: errorMessages.methodNotAllowed,
      errors: { method: `Use ${allow} on this path.` },
      headers: { Allow: allow },
      status: 405,
    });
}

function defaultClientAddress(_request: Request, incoming: IncomingMessage | undefined): string | undefined {
  return incoming?.socket?.remoteAddress;
}

function loadAccounts(options: AuthAppOptions): AccountsFile {
  if (options.accounts !== undefined) return parseAccountsFile(options.accounts, '(accounts option)');
  const env = options.env ?? process.env;
  const fromEnv = env[accountsFileEnv];
  return readAccountsFile(
    options.accountsFile ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : demoAccountsFile),
  );
}

/**
 * Creates the reference auth server as a Hono app: `POST /auth/jwt` exactly as the spec says, plus
 * `GET /.well-known/jwks.json`. Throws `AccountsFileError` when the accounts are invalid.
 */
export function createAuthApp(options: AuthAppOptions = {}): Hono<AuthAppEnv> {
  const accounts = toAccounts(loadAccounts(options));
  const firstAccount = accounts.values().next().value;
  const dummyHash = dummySecretHash(firstAccount?.secret);
  const clock = options.clock ?? systemClock;
  const issuer = createTokenIssuer({ key: options.signingKey, issuer: options.issuer ?? defaultIssuer });
  const totpVerifier = new TotpVerifier();
  const limits = options.rateLimit ?? {};
  const windowMs = limits.windowMs ?? 300_000;
  const maxKeys = limits.maxTrackedKeys ?? 10_000;
  const byAccount = new FailureCounter(limits.accountFailures ?? 5, windowMs, maxKeys);
  const byAddress = new FailureCounter(limits.addressFailures ?? 20, windowMs, maxKeys);
  const clientAddress = options.clientAddress ?? defaultClientAddress;
  const log = options.quiet === true ? undefined : (options.log ?? ((line: string) => console.log(line)));

  const app = new Hono<AuthAppEnv>();

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    log?.(requestLogLine(c.req.method, c.req.path, c.res.status, performance.now() - started, c.get('failure')));
  });

  const requireForm: MiddlewareHandler<AuthAppEnv> = async (c, next) => {
    if (formContentType(c.req.header('Content-Type')) === undefined) {
      return fail(c, { code: 'unsupported_media_type', message: errorMessages.unsupportedMediaType });
    }
    await next();
    return undefined;
  };

  const limitBody = bodyLimit({
    maxSize: maxBodyBytes,
    onError: (c) =>
      fail(c as Context<AuthAppEnv>, { code: 'payload_too_large', message: errorMessages.payloadTooLarge }),
  });
  // hono's bodyLimit counts streamed (chunked) bodies too; a body that breaks off while read is the client's fault.
  const limitBodySafely: MiddlewareHandler<AuthAppEnv> = async (c, next) => {
    try {
      return await limitBody(c, next);
    } catch {
      return invalid(c, errorMessages.invalidForm, { [bodyErrorKey]: 'The body could not be read.' });
    }
  };

  app.post(jwtAuthPath, requireForm, limitBodySafely, async (c) => {
    const contentType = formContentType(c.req.header('Content-Type')) as FormContentType;
    const request = await readLoginRequest(c.req, contentType);
    if (!request.ok) return invalid(c, request.message, request.errors);
    const { form, mask } = request;

    const address = clientAddress(c.req.raw, c.env?.incoming) ?? 'unknown';
    const accountKey = form.username.toLowerCase();
    const arrived = clock.now();
    const waitMs = Math.max(byAccount.blockedForMs(accountKey, arrived), byAddress.blockedForMs(address, arrived));
    if (waitMs > 0) {
      return fail(c, {
        code: 'too_many_requests',
        message: errorMessages.tooManyRequests,
        headers: { 'Retry-After': String(retryAfterSeconds(waitMs)) },
      });
    }
    const recordFailure = (now: number): void => {
      byAccount.recordFailure(accountKey, now);
      byAddress.recordFailure(address, now);
    };

    const account = accounts.get(accountKey);
    // Unknown usernames are checked against a dummy hash, so they take as long as a wrong password.
    const secretMatches = await verifySecret(form.password, account?.secret ?? dummyHash);
    // No await from here to consuming the TOTP step: the check-and-mark is atomic.
    const now = clock.now();
    if (account === undefined || !secretMatches || !account.roles.has(form.role)) {
      recordFailure(now);
      return fail(c, { code: 'invalid_credentials', message: errorMessages.invalidCredentials });
    }
    if (
      account.totp !== undefined &&
      !totpVerifier.verifyAndConsume(account.key, account.totp, form['2FA-token'], now)
    ) {
      recordFailure(now);
      return fail(c, { code: 'invalid_two_factor_token', message: errorMessages.invalidTwoFactorToken });
    }
    byAccount.reset(accountKey);

    const body: JavascriptWebToken = { access_token: await issuer.sign(account.username, form.role, now) };
    return c.json(applyFieldsMask(body, mask), 200, noStore);
  });
  app.all(jwtAuthPath, methodNotAllowed('POST'));

  app.get(jwksPath, async (c) => c.json(await issuer.jwks(), 200, { 'Cache-Control': 'public, max-age=60' }));
  app.all(jwksPath, methodNotAllowed('GET, HEAD'));

  app.notFound((c) =>
    fail(c, {
      code: 'invalid_request',
      message: errorMessages.notFound,
      errors: { path: 'No such path on this server.' },
      status: 404,
    }),
  );

  app.onError((error, c) => {
    // Never the error's message: it could quote the request.
    c.set('failure', error.name);
    return c.json(internalErrorBody, 500, noStore);
  });

  return app;
}
