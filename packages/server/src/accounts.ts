import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { TOTP } from 'otpauth';
import { formRule } from './form.js';
import { hashSecret, scryptBounds, scryptParamsProblem, type ScryptParams, type SecretHash } from './secrets.js';
import { createTotp, createTotpSecret, defaultTotpIssuer } from './totp.js';

/** One account as stored in an accounts file. */
export interface AccountRecord {
  /** A Client's email or a partner product's id (a UUID); matched case-insensitively. */
  username: string;
  /** The roles the account may authenticate for, e.g. `["role_product"]`. */
  roles: string[];
  /** The password or API key, hashed with scrypt (see `hashSecret`). */
  secret: SecretHash;
  /** Present when 2FA is enabled: the base32 TOTP secret (SHA-1, 6 digits, 30 s). */
  totp?: { secret: string };
  /** A free-text note, e.g. what the account is for. */
  description?: string;
}

/** The JSON document of an accounts file. */
export interface AccountsFile {
  /** A free-text note about the file. */
  $comment?: string;
  /** The accounts; usernames are unique, case-insensitively. */
  accounts: AccountRecord[];
}

/** An account ready for logins. */
export interface Account {
  /** The username as the file spells it (the `sub` of issued tokens). */
  readonly username: string;
  /** The lookup key: the username in lower case. */
  readonly key: string;
  /** The roles the account may authenticate for. */
  readonly roles: ReadonlySet<string>;
  /** The hashed secret. */
  readonly secret: SecretHash;
  /** The TOTP of an account with 2FA enabled, else undefined. */
  readonly totp: TOTP | undefined;
}

/** An accounts file that cannot be used; the message names the file and the offending entry, never a secret. */
export class AccountsFileError extends Error {
  override name = 'AccountsFileError';
}

/** The demo accounts file shipped with the package (documented in its README). */
export const demoAccountsFile = fileURLToPath(new URL('../accounts/demo-accounts.json', import.meta.url));

/** The environment variable naming an accounts file. */
export const accountsFileEnv = 'LUMMINARY_ACCOUNTS_FILE';

const usernameRule = formRule('username');
const roleRule = formRule('role');
const base64url = /^[A-Za-z0-9_-]+$/u;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(
  value: Record<string, unknown>,
  allowed: readonly string[],
  where: string,
  fail: (msg: string) => never,
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      fail(`${where}: unknown property ${JSON.stringify(key)} (allowed: ${allowed.join(', ')})`);
  }
}

function codePoints(value: string): number {
  return [...value].length;
}

function checkSecret(value: unknown, where: string, fail: (msg: string) => never): SecretHash {
  if (!isObject(value)) fail(`${where}: must be an object made by hashSecret (algorithm, N, r, p, salt, hash)`);
  checkKeys(value, ['algorithm', 'N', 'r', 'p', 'salt', 'hash'], where, fail);
  const { algorithm, N, r, p, salt, hash } = value;
  if (algorithm !== 'scrypt') fail(`${where}.algorithm: must be "scrypt"`);
  if (typeof N !== 'number' || typeof r !== 'number' || typeof p !== 'number')
    fail(`${where}: N, r and p must be numbers`);
  const problem = scryptParamsProblem({ N, r, p });
  if (problem !== undefined) fail(`${where}: ${problem}`);
  if (
    typeof salt !== 'string' ||
    !base64url.test(salt) ||
    Buffer.from(salt, 'base64url').length < scryptBounds.minSaltBytes
  ) {
    fail(`${where}.salt: must be base64url of at least ${scryptBounds.minSaltBytes} bytes`);
  }
  const hashLength = typeof hash === 'string' && base64url.test(hash) ? Buffer.from(hash, 'base64url').length : 0;
  if (hashLength < scryptBounds.minKeyBytes || hashLength > scryptBounds.maxKeyBytes) {
    fail(`${where}.hash: must be base64url of ${scryptBounds.minKeyBytes} to ${scryptBounds.maxKeyBytes} bytes`);
  }
  return { algorithm, N, r, p, salt, hash: hash as string };
}

function checkRecord(value: unknown, where: string, fail: (msg: string) => never): AccountRecord {
  if (!isObject(value)) fail(`${where}: must be an object`);
  checkKeys(value, ['username', 'roles', 'secret', 'totp', 'description'], where, fail);
  const { username, roles, secret, totp, description } = value;
  const maxUsername = usernameRule.maxLength ?? Number.POSITIVE_INFINITY;
  if (
    typeof username !== 'string' ||
    codePoints(username) < 1 ||
    codePoints(username) > maxUsername ||
    username.includes('\0')
  ) {
    fail(`${where}.username: must be a string of 1 to ${maxUsername} characters without NUL`);
  }
  if (username.trim() !== username) fail(`${where}.username: must not start or end with white space`);
  if (!Array.isArray(roles) || roles.length === 0) fail(`${where}.roles: must be a non-empty array of role names`);
  roles.forEach((role: unknown, index) => {
    const maxRole = roleRule.maxLength ?? Number.POSITIVE_INFINITY;
    if (
      typeof role !== 'string' ||
      role.length > maxRole ||
      (roleRule.pattern !== undefined && !roleRule.pattern.test(role))
    ) {
      fail(
        `${where}.roles[${index}]: must match ${roleRule.patternSource ?? 'the role pattern'} (at most ${maxRole} characters)`,
      );
    }
  });
  if (new Set(roles).size !== roles.length) fail(`${where}.roles: must not repeat a role`);
  const record: AccountRecord = {
    username,
    roles: roles as string[],
    secret: checkSecret(secret, `${where}.secret`, fail),
  };
  if (totp !== undefined) {
    if (!isObject(totp) || typeof totp.secret !== 'string') fail(`${where}.totp: must be {"secret": "<base32>"}`);
    checkKeys(totp, ['secret'], `${where}.totp`, fail);
    try {
      createTotp(totp.secret);
    } catch (error) {
      fail(`${where}.totp.secret: ${(error as Error).message}`);
    }
    record.totp = { secret: totp.secret };
  }
  if (description !== undefined) {
    if (typeof description !== 'string') fail(`${where}.description: must be a string`);
    record.description = description;
  }
  return record;
}

/** Validates an accounts document; throws `AccountsFileError` naming the first problem (`source` names the file). */
export function parseAccountsFile(data: unknown, source: string): AccountsFile {
  const fail: (message: string) => never = (message) => {
    throw new AccountsFileError(`Accounts file ${source}: ${message}`);
  };
  if (!isObject(data)) fail('must be a JSON object with an "accounts" array');
  const document = data as Record<string, unknown>;
  checkKeys(document, ['$comment', 'accounts'], 'top level', fail);
  const { accounts } = document;
  if (!Array.isArray(accounts)) fail('"accounts" must be an array');
  const records = (accounts as unknown[]).map((entry, index) => checkRecord(entry, `accounts[${index}]`, fail));
  const seen = new Map<string, number>();
  records.forEach((record, index) => {
    const key = record.username.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined)
      fail(`accounts[${index}].username: same as accounts[${first}] (usernames are case-insensitive)`);
    seen.set(key, index);
  });
  const comment = document.$comment;
  if (comment !== undefined && typeof comment !== 'string') fail('"$comment" must be a string');
  return comment === undefined ? { accounts: records } : { $comment: comment, accounts: records };
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new AccountsFileError(`Accounts file ${source}: not valid JSON (${(error as Error).message})`);
  }
}

/** Reads and validates an accounts file; throws `AccountsFileError` when it is missing or invalid. */
export function readAccountsFile(path: string): AccountsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AccountsFileError(
      `Accounts file ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return parseAccountsFile(parseJson(text, path), path);
}

/** Turns validated records into accounts, keyed by lower-case username. */
export function toAccounts(file: AccountsFile): Map<string, Account> {
  const accounts = new Map<string, Account>();
  for (const record of file.accounts) {
    const key = record.username.toLowerCase();
    accounts.set(key, {
      username: record.username,
      key,
      roles: new Set(record.roles),
      secret: record.secret,
      totp: record.totp === undefined ? undefined : createTotp(record.totp.secret, record.username),
    });
  }
  return accounts;
}

/** What `addAccount` needs. */
export interface NewAccount {
  /** A Client's email or a product's id (UUID). */
  username: string;
  /** The password or API key, in clear; only its scrypt hash is written. */
  secret: string;
  /** The roles the account may authenticate for. Default `["role_product"]`. */
  roles?: string[] | undefined;
  /** Enable 2FA: generate a TOTP secret. Default false. */
  twoFactor?: boolean | undefined;
  /** A free-text note. */
  description?: string | undefined;
  /** scrypt cost. Default `defaultScryptParams`. */
  scrypt?: ScryptParams | undefined;
  /** Issuer shown by authenticator apps. Default `Lumminary (reference server)`. */
  issuer?: string | undefined;
}

/**
 * Adds an account to an accounts file (created when missing), validating the result before
 * replacing the file atomically. Returns the TOTP secret and `otpauth://` URI when 2FA is enabled.
 */
export async function addAccount(
  path: string,
  account: NewAccount,
): Promise<{ totp?: { secret: string; uri: string } }> {
  let document: AccountsFile = { accounts: [] };
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new AccountsFileError(`Accounts file ${path}: cannot be read (${error.code ?? 'error'})`);
  });
  if (text !== undefined) document = parseAccountsFile(parseJson(text, path), path);
  const record: AccountRecord = {
    username: account.username,
    roles: account.roles ?? ['role_product'],
    secret: await hashSecret(account.secret, account.scrypt),
  };
  let totp: { secret: string; uri: string } | undefined;
  if (account.twoFactor === true) {
    totp = createTotpSecret(account.username, account.issuer ?? defaultTotpIssuer);
    record.totp = { secret: totp.secret };
  }
  if (account.description !== undefined) record.description = account.description;
  const updated = parseAccountsFile({ ...document, accounts: [...document.accounts, record] }, path);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(updated, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
  return totp === undefined ? {} : { totp };
}
