// Help, version and usage errors (exit 2): nothing is sent, no value is echoed.
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  demoProduct,
  knownSecrets,
  runCli,
  startFakeServer,
  unreadStdin,
  type FakeServer,
} from './test-support/cli.js';

const packageVersion = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Stands for a secret typed on the command line by mistake. */
const typedSecret = 'hunter2-Typed-On-The-Command-Line';
knownSecrets.add(typedSecret);

// Every login attempt would reach this server: usage errors must send nothing.
let fake: FakeServer;
beforeAll(async () => {
  fake = await startFakeServer((_request, _body, response) => {
    response.writeHead(500);
    response.end();
  });
});
afterAll(async () => {
  expect(fake.bodies).toEqual([]);
  await fake.close();
});

const tokenArgs = () => ['token', '--base-url', fake.url, '--username', demoProduct.username];
const env = { LUMMINARY_PASSWORD: demoProduct.apiKey };

async function expectUsageError(
  argv: readonly string[],
  message: RegExp,
  options: Parameters<typeof runCli>[1] = { env },
) {
  const before = fake.bodies.length;
  const result = await runCli(argv, options);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(message);
  expect(fake.bodies.length).toBe(before);
  return result;
}

describe('help and version', () => {
  it('--help, -h, help and token --help print the usage on stdout and exit 0', async () => {
    const outputs = new Set<string>();
    for (const argv of [['--help'], ['-h'], ['help'], ['token', '--help'], ['token', '-h', '--json']]) {
      const result = await runCli(argv);
      expect(result.code).toBe(0);
      outputs.add(result.stdout);
    }
    expect(outputs.size).toBe(1);
    const [usage = ''] = outputs;
    expect(usage).toMatch(/^Usage: lumminary-auth token \[options\]\n/u);
    for (const option of [
      '--base-url',
      '--username',
      '--role',
      '--password-stdin',
      '--totp-code',
      '--multipart',
      '--timeout',
      '--json',
      '--version',
    ]) {
      expect(usage).toContain(option);
    }
    for (const variable of [
      'LUMMINARY_PASSWORD',
      'LUMMINARY_TOTP_SECRET',
      'LUMMINARY_BASE_URL',
      'LUMMINARY_USERNAME',
    ]) {
      expect(usage).toContain(variable);
    }
    expect(usage).toContain('https://api.lumminary.com/v1');
    expect(usage).toContain('role_product');
    // The exit codes, one per line.
    const documented = [...usage.matchAll(/^ {2}(\d) {2}\S/gmu)].map((match) => Number(match[1]));
    expect(documented).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('--version prints the package version', async () => {
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `${packageVersion}\n`, stderr: '' });
    expect(packageVersion).toMatch(/^\d+\.\d+\.\d+/u);
  });
});

describe('a password on the command line is refused (exit 2) and never echoed', () => {
  const spellings = [
    ['--password', typedSecret],
    [`--password=${typedSecret}`],
    ['--PASSWORD', typedSecret],
    ['--pass', typedSecret],
    ['-p', typedSecret],
    [`-p${typedSecret}`],
    [`--api-key=${typedSecret}`],
    ['--apikey', typedSecret],
    [`--totp-secret=${typedSecret}`],
  ];
  for (const spelling of spellings) {
    it(`${spelling[0]?.replace(typedSecret, '<secret>')}`, async () => {
      const result = await expectUsageError([...tokenArgs(), ...spelling], /never accepted as an option/u, {
        env,
        stdin: unreadStdin,
      });
      expect(result.stderr).toMatch(/process list/u);
      expect(result.stderr).toMatch(/shell history/u);
      expect(result.stderr).toMatch(/--password-stdin or set LUMMINARY_PASSWORD/u);
      expect(result.stderr).not.toContain(typedSecret);
    });
  }

  it('also before the command, and even with --help', async () => {
    await expectUsageError(['--password', typedSecret, 'token'], /never accepted as an option/u);
    await expectUsageError(['token', '--help', `--password=${typedSecret}`], /never accepted as an option/u);
  });
});

describe('usage errors exit 2 without sending anything', () => {
  it('no command, an unknown command or a stray argument (never quoted)', async () => {
    await expectUsageError([], /^lumminary-auth: missing command \(see lumminary-auth --help\)\n$/u);
    await expectUsageError([typedSecret], /unknown command; the commands are token and help/u);
    await expectUsageError(
      [...tokenArgs(), typedSecret],
      /token takes no arguments, only options \(got 1 extra; they are not shown\)/u,
    );
    await expectUsageError([...tokenArgs(), '--', typedSecret], /got 1 extra/u);
  });

  it('an unknown option, named without its value', async () => {
    const result = await expectUsageError(
      [...tokenArgs(), `--tokn=${typedSecret}`],
      /^lumminary-auth: unknown option --tokn \(see lumminary-auth --help\)\n$/u,
    );
    expect(result.stderr).not.toContain(typedSecret);
    await expectUsageError([...tokenArgs(), '-x'], /unknown option -x/u);
  });

  it('a missing, doubled or unexpected option value', async () => {
    await expectUsageError(['token', '--base-url', fake.url, '--username'], /--username needs a value/u);
    await expectUsageError(['token', '--base-url', fake.url, '--username', '--json'], /--username needs a value/u);
    await expectUsageError([...tokenArgs(), '--username', 'other@example.org'], /--username is given more than once/u);
    await expectUsageError([...tokenArgs(), '--json=yes'], /--json does not take a value/u);
  });

  it('an invalid --timeout', async () => {
    for (const value of ['abc', '0', '1.5', '1e3', '2147483648', '']) {
      await expectUsageError([...tokenArgs(), `--timeout=${value}`], /--timeout must be/u);
    }
    await expectUsageError([...tokenArgs(), '--timeout', '-5'], /--timeout needs a value/u);
  });

  it('no username or no password (an empty variable counts as none)', async () => {
    await expectUsageError(
      ['token', '--base-url', fake.url],
      /no username: pass --username or set LUMMINARY_USERNAME/u,
    );
    await expectUsageError(['token', '--base-url', fake.url], /no username/u, {
      env: { ...env, LUMMINARY_USERNAME: '' },
    });
    await expectUsageError(tokenArgs(), /no password: pipe it in with --password-stdin or set LUMMINARY_PASSWORD/u, {
      env: {},
    });
    await expectUsageError(tokenArgs(), /no password/u, { env: { LUMMINARY_PASSWORD: '' } });
  });

  it('an invalid base URL, without quoting it', async () => {
    await expectUsageError([...tokenArgs(), '--base-url', 'not a url'], /--base-url is given more than once/u);
    const args = (url: string) => ['token', '--base-url', url, '--username', demoProduct.username];
    await expectUsageError(
      args('not a url'),
      /invalid base URL \(--base-url or LUMMINARY_BASE_URL\): baseUrl must be an absolute http\(s\) URL/u,
    );
    await expectUsageError(args('http://example.com/v1'), /plain http to a non-loopback host; use https\n$/u);
    const withCredentials = await expectUsageError(
      args(`https://user:${typedSecret}@example.com/v1`),
      /must not contain credentials/u,
    );
    expect(withCredentials.stderr).not.toContain(typedSecret);
    await expectUsageError(['token', '--username', demoProduct.username], /invalid base URL/u, {
      env: { ...env, LUMMINARY_BASE_URL: 'ftp://example.com' },
    });
  });

  it('input the SDK refuses before sending (AuthInputError), named by its CLI meaning', async () => {
    await expectUsageError(
      [...tokenArgs(), '--totp-code', '12ab56'],
      /invalid input, nothing was sent: the 2FA code must be 6 to 8 digits/u,
    );
    await expectUsageError([...tokenArgs(), '--totp-code', '12345'], /the 2FA code must be 6 to 8 digits/u);
    await expectUsageError(
      [...tokenArgs(), '--role', 'Role Admin'],
      /invalid input, nothing was sent: --role must match/u,
    );
    await expectUsageError(
      ['token', '--base-url', fake.url, '--username', 'x'.repeat(321)],
      /the username must be at most 320 characters/u,
    );
    await expectUsageError([...tokenArgs(), '--password-stdin'], /the password must not be empty/u, { stdin: '\n' });
    await expectUsageError([...tokenArgs(), '--password-stdin'], /the password must be at most 1024 characters/u, {
      stdin: 'k'.repeat(1025),
    });
    // multipart/form-data would rewrite a bare line break: refused for --multipart only.
    await expectUsageError(
      [...tokenArgs(), '--password-stdin', '--multipart'],
      /the password has a bare CR\/LF or leading U\+FEFF, .*; leave out --multipart\n$/u,
      {
        stdin: `${typedSecret}\nsecond line\n`,
      },
    );
  });

  it('an invalid LUMMINARY_TOTP_SECRET, without quoting it', async () => {
    const result = await expectUsageError(
      tokenArgs(),
      /^lumminary-auth: LUMMINARY_TOTP_SECRET is not a valid base32 TOTP secret\n$/u,
      {
        env: { ...env, LUMMINARY_TOTP_SECRET: `${typedSecret}!` },
      },
    );
    expect(result.stderr).not.toContain(typedSecret);
  });

  it('--password-stdin on a terminal is refused without reading it', async () => {
    const terminal = { isTTY: true, [Symbol.asyncIterator]: unreadStdin[Symbol.asyncIterator] };
    await expectUsageError(
      [...tokenArgs(), '--password-stdin'],
      /standard input is a terminal; pipe the password in/u,
      { stdin: terminal },
    );
  });

  it('--password-stdin with invalid UTF-8 or more than 64 KiB', async () => {
    const invalidUtf8 = Readable.from([Buffer.from([0x6b, 0xff, 0xfe])]);
    await expectUsageError([...tokenArgs(), '--password-stdin'], /standard input is not valid UTF-8/u, {
      stdin: invalidUtf8,
    });
    const huge = Readable.from([Buffer.alloc(40 * 1024, 0x6b), Buffer.alloc(40 * 1024, 0x6b)]);
    await expectUsageError([...tokenArgs(), '--password-stdin'], /standard input holds more than 65536 bytes/u, {
      stdin: huge,
    });
  });
});
