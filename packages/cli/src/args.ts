import { parseArgs } from 'node:util';

/** A usage error: exit code 2. Its message never quotes an argument's value (it could be a secret). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** What the command line asks for. */
export type Command = { kind: 'help' } | { kind: 'version' } | { kind: 'token'; options: TokenOptions };

/** The options of `lumminary-auth token`, as given (defaults are applied later, with the environment). */
export interface TokenOptions {
  baseUrl: string | undefined;
  username: string | undefined;
  role: string | undefined;
  totpCode: string | undefined;
  timeoutMs: number | undefined;
  multipart: boolean;
  passwordStdin: boolean;
  json: boolean;
}

const optionDefinitions = {
  'base-url': { type: 'string' },
  username: { type: 'string' },
  role: { type: 'string' },
  'totp-code': { type: 'string' },
  timeout: { type: 'string' },
  multipart: { type: 'boolean' },
  'password-stdin': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

type OptionName = keyof typeof optionDefinitions;

function isKnownOption(name: string): name is OptionName {
  return Object.hasOwn(optionDefinitions, name);
}

/**
 * Options that would put a secret on the command line, where any user sees it in the process list and
 * the shell keeps it in its history. Matched on the raw argument, so also `--password=…` and `-p…`.
 */
const secretOption =
  /^(?:--?(?:password|passwd|pass|pwd|pw|api[-_]?key|secret|totp[-_]?secret|2fa[-_]?secret)(?:=|$)|-p)/iu;

export const passwordOptionRefusal =
  'a password or API key is never accepted as an option: the command line is visible to other users ' +
  'in the process list and is kept in shell history. Pipe it in with --password-stdin or set LUMMINARY_PASSWORD.';

/** Largest accepted `--timeout`, the largest delay `setTimeout` supports. */
const maxTimeoutMs = 2_147_483_647;

function parseTimeout(value: string): number {
  if (!/^[0-9]+$/u.test(value))
    throw new UsageError('--timeout must be a whole number of milliseconds, e.g. --timeout 5000');
  const ms = Number(value);
  if (ms < 1 || ms > maxTimeoutMs) throw new UsageError(`--timeout must be from 1 to ${maxTimeoutMs} milliseconds`);
  return ms;
}

/** Parses the arguments (without `node` and the script). Throws `UsageError`. */
export function parseCommandLine(argv: readonly string[]): Command {
  const terminator = argv.indexOf('--');
  const optionArgs = terminator === -1 ? argv : argv.slice(0, terminator);
  if (optionArgs.some((arg) => secretOption.test(arg))) throw new UsageError(passwordOptionRefusal);

  // Non-strict with tokens, so that every message is ours and none quotes a value.
  const { tokens } = parseArgs({
    args: [...argv],
    options: optionDefinitions,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });

  const strings = new Map<OptionName, string>();
  const flags = new Set<OptionName>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue;
    const { name, rawName } = token;
    // Only the option's name is quoted (never a value), and only when it looks like one.
    const shown = /^-{1,2}[A-Za-z0-9][A-Za-z0-9-]{0,39}$/u.test(rawName) ? rawName : 'an option';
    if (!isKnownOption(name)) throw new UsageError(`unknown option ${shown} (see lumminary-auth --help)`);
    if (optionDefinitions[name].type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${rawName} does not take a value`);
      flags.add(name);
      continue;
    }
    const { value } = token;
    if (value === undefined || (!token.inlineValue && value.startsWith('-'))) {
      throw new UsageError(`${rawName} needs a value (write ${rawName}=<value> for a value starting with '-')`);
    }
    if (strings.has(name)) throw new UsageError(`${rawName} is given more than once`);
    strings.set(name, value);
  }

  if (flags.has('help')) return { kind: 'help' };
  if (flags.has('version')) return { kind: 'version' };
  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError('missing command (see lumminary-auth --help)');
  if (command === 'help') return { kind: 'help' };
  // The command is not quoted either: a mistyped line may have put a secret first.
  if (command !== 'token')
    throw new UsageError('unknown command; the commands are token and help (see lumminary-auth --help)');
  if (rest.length > 0) {
    throw new UsageError(`token takes no arguments, only options (got ${rest.length} extra; they are not shown)`);
  }
  const timeout = strings.get('timeout');
  return {
    kind: 'token',
    options: {
      baseUrl: strings.get('base-url'),
      username: strings.get('username'),
      role: strings.get('role'),
      totpCode: strings.get('totp-code'),
      timeoutMs: timeout === undefined ? undefined : parseTimeout(timeout),
      multipart: flags.has('multipart'),
      passwordStdin: flags.has('password-stdin'),
      json: flags.has('json'),
    },
  };
}
