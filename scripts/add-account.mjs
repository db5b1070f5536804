#!/usr/bin/env node
// Adds an account to a JSON accounts file for the reference auth server (packages/server, built).
// The secret (password or API key) is read from $LUMMINARY_ACCOUNT_SECRET or stdin, never from argv.
// Usage: printf %s "$SECRET" | node scripts/add-account.mjs --file accounts.json --username ada@example.org \
//          [--role role_product]... [--2fa] [--description "..."]
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';

const secretEnv = 'LUMMINARY_ACCOUNT_SECRET';
const usage =
  'Usage: node scripts/add-account.mjs --file FILE --username NAME [--role ROLE]... [--2fa] [--description TEXT]\n' +
  `The secret comes from $${secretEnv} or stdin (prompted without echo on a terminal).`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      file: { type: 'string' },
      username: { type: 'string' },
      role: { type: 'string', multiple: true },
      '2fa': { type: 'boolean' },
      description: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  // Never repeat a stray argument: it could be a secret typed on the command line by mistake.
  const problem =
    error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
      ? 'unexpected argument (the secret is read from stdin or the environment, never from arguments)'
      : error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? 'unknown option'
        : 'invalid arguments';
  console.error(`add-account: ${problem}\n${usage}`);
  process.exit(2);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (!values.file || !values.username) {
  console.error(`add-account: --file and --username are required\n${usage}`);
  process.exit(2);
}

async function readSecret() {
  const fromEnv = process.env[secretEnv];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (process.stdin.isTTY) {
    const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
    const prompt = createInterface({ input: process.stdin, output: muted, terminal: true });
    process.stderr.write('Secret (not echoed): ');
    const line = await new Promise((resolve) => prompt.question('', resolve));
    prompt.close();
    process.stderr.write('\n');
    return line;
  }
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  // One trailing newline (from echo or a here-string) is not part of the secret.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

try {
  const secret = await readSecret();
  if (secret === '') throw new Error(`no secret given (pipe it on stdin or set $${secretEnv})`);
  const { addAccount } = await import('@lumminary/auth-server');
  const { totp } = await addAccount(values.file, {
    username: values.username,
    secret,
    roles: values.role,
    twoFactor: values['2fa'] === true,
    description: values.description,
  });
  console.log(`added ${values.username} to ${values.file}`);
  if (totp) {
    console.log(`2FA enabled; add this to an authenticator app (it holds the TOTP secret):`);
    console.log(totp.uri);
  }
} catch (error) {
  const hint = error?.code === 'ERR_MODULE_NOT_FOUND' ? ' (build it first: npm run build)' : '';
  console.error(`add-account: ${error instanceof Error ? error.message : String(error)}${hint}`);
  process.exit(1);
}
