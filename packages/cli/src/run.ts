import {
  AuthError,
  AuthHttpError,
  AuthInputError,
  AuthProtocolError,
  AuthTransportError,
  createAuthClient,
  type AuthClient,
} from '@lumminary/auth-sdk';
import { totpCodeSource } from '@lumminary/auth-sdk/totp';
import { parseCommandLine, UsageError, type TokenOptions } from './args.js';
import { defaultRole, exitCodes, usage, version } from './help.js';
import { tokenJson } from './output.js';

/** Where `run` reads and writes; `process`'s streams and environment in the real command. */
export interface RunIo {
  /** The environment (`LUMMINARY_*`). */
  env: Readonly<Record<string, string | undefined>>;
  /** Standard input: read only with `--password-stdin`. */
  stdin: AsyncIterable<string | Uint8Array> & { readonly isTTY?: boolean | undefined };
  /** Standard output: the token (or its JSON), or the help text. */
  stdout: { write(text: string): unknown };
  /** Standard error: one-line messages, never holding a secret. */
  stderr: { write(text: string): unknown };
  /** The time in milliseconds, for 2FA codes and `expires_in_seconds`. Default: `Date.now`. */
  now?: (() => number) | undefined;
}

const program = 'lumminary-auth';
/** More than any password the spec allows (1024 characters of up to 4 bytes each). */
const maxStdinBytes = 64 * 1024;

/** A failure with its exit code and a one-line message that holds no secret. */
class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const usageExit = (message: string) => new Exit(exitCodes.usage, message);

function fromEnv(env: RunIo['env'], name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

async function readPassword(stdin: RunIo['stdin']): Promise<string> {
  if (stdin.isTTY === true) {
    throw usageExit(
      '--password-stdin: standard input is a terminal; pipe the password in (it would be echoed as typed)',
    );
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    size += bytes.byteLength;
    if (size > maxStdinBytes)
      throw usageExit(`--password-stdin: standard input holds more than ${maxStdinBytes} bytes`);
    chunks.push(bytes);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw usageExit('--password-stdin: standard input is not valid UTF-8');
  }
  return text.replace(/\r?\n$/u, '');
}

const inputLabels: Record<string, string> = {
  username: 'the username',
  password: 'the password',
  role: '--role',
  twoFactorToken: 'the 2FA code',
};

/** Maps an error of the login to its exit code and message; never quotes a submitted value or the body. */
function loginFailure(error: unknown, context: { client: AuthClient; timeoutMs: number; codeGiven: boolean }): Exit {
  if (error instanceof AuthInputError) {
    // The SDK's advice names its own option; on the command line, that is leaving out --multipart.
    const problem = error.problem.replace(/use encoding 'form'$/u, 'leave out --multipart');
    return usageExit(`invalid input, nothing was sent: ${inputLabels[error.field] ?? error.field} ${problem}`);
  }
  if (error instanceof AuthHttpError) {
    const status = `HTTP ${error.status}${error.code === undefined ? '' : ` ${error.code}`}`;
    const wait = error.retryAfterSeconds === undefined ? undefined : `retry after ${error.retryAfterSeconds} s`;
    if (error.status === 401 && error.code === 'invalid_credentials') {
      return new Exit(exitCodes.badCredentials, `login refused: wrong username, password/API key or role (${status})`);
    }
    if (error.status === 401 && error.code === 'invalid_two_factor_token') {
      return new Exit(
        exitCodes.twoFactor,
        context.codeGiven
          ? `2FA code refused: wrong, expired or already used; each code works once, so wait for the next 30-second step (${status})`
          : `this account needs a 2FA code: pass --totp-code <digits> or set LUMMINARY_TOTP_SECRET (${status})`,
      );
    }
    if (error.status === 429) {
      return new Exit(
        exitCodes.rateLimited,
        `rate limited: too many failed logins; ${wait ?? 'retry later (the server gave no Retry-After)'} (${status})`,
      );
    }
    const detail = error.code === undefined ? ", not the API's JSON error" : '';
    return new Exit(exitCodes.server, `server error: ${status}${detail}${wait === undefined ? '' : `; ${wait}`}`);
  }
  if (error instanceof AuthProtocolError) {
    return new Exit(exitCodes.server, `unusable response from the server (HTTP ${error.status}): ${error.problem}`);
  }
  if (error instanceof AuthTransportError) {
    const origin = new URL(context.client.baseUrl).origin;
    if (error.reason === 'timeout') {
      return new Exit(exitCodes.network, `no answer from ${origin} within ${context.timeoutMs} ms (see --timeout)`);
    }
    if (error.reason === 'aborted') return new Exit(exitCodes.network, 'the login was aborted');
    const code = systemErrorCode(error.cause);
    return new Exit(exitCodes.network, `could not reach ${origin}${code === undefined ? '' : ` (${code})`}`);
  }
  throw error;
}

/** The `ECONNREFUSED`-style code somewhere in a cause chain (fetch wraps the socket's error). */
function systemErrorCode(cause: unknown): string | undefined {
  for (let depth = 0; depth < 5 && typeof cause === 'object' && cause !== null; depth++) {
    const { code } = cause as { code?: unknown };
    if (typeof code === 'string' && /^E[A-Z0-9_]{1,40}$/u.test(code)) return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

async function token(options: TokenOptions, io: RunIo): Promise<void> {
  const now = io.now ?? Date.now;
  const username = options.username ?? fromEnv(io.env, 'LUMMINARY_USERNAME');
  if (username === undefined) throw usageExit('no username: pass --username or set LUMMINARY_USERNAME');
  const passwordFromEnv = fromEnv(io.env, 'LUMMINARY_PASSWORD');
  if (!options.passwordStdin && passwordFromEnv === undefined) {
    throw usageExit(
      'no password: pipe it in with --password-stdin or set LUMMINARY_PASSWORD (it is never accepted as an option)',
    );
  }
  const totpSecret = options.totpCode === undefined ? fromEnv(io.env, 'LUMMINARY_TOTP_SECRET') : undefined;
  let codeSource: ReturnType<typeof totpCodeSource> | undefined;
  if (totpSecret !== undefined) {
    try {
      codeSource = totpCodeSource(totpSecret);
    } catch {
      throw usageExit('LUMMINARY_TOTP_SECRET is not a valid base32 TOTP secret');
    }
  }
  const baseUrl = options.baseUrl ?? fromEnv(io.env, 'LUMMINARY_BASE_URL');
  let client: AuthClient;
  try {
    client = createAuthClient({ baseUrl, timeoutMs: options.timeoutMs });
  } catch (error) {
    // The SDK's messages never quote the URL; its option name means nothing on the command line.
    const problem = error instanceof Error ? error.message.replace(/ \(or set allowInsecureHttp\)/u, '') : 'invalid';
    throw usageExit(`invalid base URL (--base-url or LUMMINARY_BASE_URL): ${problem}`);
  }
  // Read last, so that a usage error never consumes standard input.
  const password = options.passwordStdin ? await readPassword(io.stdin) : (passwordFromEnv as string);
  const twoFactorToken = options.totpCode ?? (await codeSource?.({ now: now(), signal: undefined }));

  let accessToken: string;
  try {
    ({ accessToken } = await client.postJwtAuth(
      { username, password, role: options.role ?? defaultRole, twoFactorToken },
      { encoding: options.multipart ? 'multipart' : 'form' },
    ));
  } catch (error) {
    throw loginFailure(error, {
      client,
      timeoutMs: options.timeoutMs ?? 10_000,
      codeGiven: twoFactorToken !== undefined,
    });
  }
  io.stdout.write(options.json ? `${JSON.stringify(tokenJson(accessToken, now()), null, 2)}\n` : `${accessToken}\n`);
}

/**
 * Runs `lumminary-auth` with `argv` (the arguments after the script) and resolves to the exit code.
 * Never rejects; messages on stderr are single lines and never hold a password, code or token.
 */
export async function run(argv: readonly string[], io: RunIo): Promise<number> {
  try {
    const command = parseCommandLine(argv);
    if (command.kind === 'help') io.stdout.write(usage);
    else if (command.kind === 'version') io.stdout.write(`${version()}\n`);
    else await token(command.options, io);
    return exitCodes.success;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${program}: ${error.message}\n`);
      return exitCodes.usage;
    }
    if (error instanceof Exit) {
      io.stderr.write(`${program}: ${error.message}\n`);
      return error.code;
    }
    // Anything else is a bug or an environment failure: its message or stack could hold a secret.
    const name = error instanceof Error && /^[A-Za-z]{1,40}$/u.test(error.name) ? error.name : 'error';
    const kind = error instanceof AuthError ? 'SDK error' : 'error';
    io.stderr.write(`${program}: unexpected ${kind} (${name}); details are not shown as they could hold secrets\n`);
    return exitCodes.unexpected;
  }
}
