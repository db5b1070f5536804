import { readFileSync } from 'node:fs';
import { defaultServerUrl } from '@lumminary/auth-sdk';

/** The exit codes, documented in the help text and the README. */
export const exitCodes = {
  success: 0,
  unexpected: 1,
  usage: 2,
  badCredentials: 3,
  twoFactor: 4,
  rateLimited: 5,
  network: 6,
  server: 7,
} as const;

export const defaultRole = 'role_product';

export const usage = `Usage: lumminary-auth token [options]
       lumminary-auth help | --help | -h
       lumminary-auth --version

Logs in to the Lumminary API (POST /auth/jwt) and prints the access token alone on
standard output, e.g. TOKEN="$(lumminary-auth token --password-stdin < key.txt)".
The token is valid for 30 seconds.

Options of token:
  --base-url <url>      server URL, /v1 included (default: $LUMMINARY_BASE_URL,
                        else ${defaultServerUrl})
  --username <name>     a Client's email or a partner product's id (default: $LUMMINARY_USERNAME)
  --role <role>         the role to log in for (default: ${defaultRole})
  --password-stdin      read the password or API key from standard input (one trailing
                        newline is stripped; standard input must not be a terminal)
  --totp-code <digits>  a one-time 2FA code (6 to 8 digits), for accounts with 2FA
  --multipart           send multipart/form-data instead of application/x-www-form-urlencoded
  --timeout <ms>        give up when the whole answer takes longer (default: 10000)
  --json                print { "access_token", "claims", "expires_at", "expires_in_seconds" }
                        instead (claims: the token's payload, decoded, NOT verified)
  -h, --help            show this help
  --version             show the version

Environment:
  LUMMINARY_PASSWORD     the password or API key, when --password-stdin is not given
  LUMMINARY_TOTP_SECRET  the account's base32 TOTP secret: a 2FA code is generated from it
                         when --totp-code is not given (each code works once per 30 s step)
  LUMMINARY_BASE_URL     see --base-url
  LUMMINARY_USERNAME     see --username

A password is never accepted as an option (e.g. --password): the command line is visible to
other users in the process list and is kept in shell history. Messages never show the
password, API key, 2FA code, TOTP secret or token.

Exit codes:
  0  success
  1  unexpected error
  2  usage error: unknown, missing or invalid option or input (nothing was sent)
  3  bad credentials: wrong username, password/API key or role (401 invalid_credentials)
  4  2FA failed: code missing, wrong, expired or already used (401 invalid_two_factor_token)
  5  rate limited: too many failed logins (429); the message says how long to wait
  6  network failure or timeout: no answer from the server
  7  other server or protocol error (any other status, or a response without a token)
`;

/** The package's version, read from its package.json (one level above src/ and dist/). */
export function version(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const { version: value } = JSON.parse(text) as { version?: unknown };
  if (typeof value !== 'string') throw new Error('package.json has no version');
  return value;
}
