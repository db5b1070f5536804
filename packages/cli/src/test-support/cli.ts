// Test helpers: the documented demo accounts, an in-process runner that checks every message for
// secrets, and fake servers (scripted HTTP, silent TCP, a closed port).
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { totpCodeSource } from '@lumminary/auth-sdk/totp';
import { demoCredentials } from '@lumminary/auth-server';
import { expect } from 'vitest';
import { run, type RunIo } from '../run.js';

/** The demo partner product of the reference server (packages/server/README.md). */
export const demoProduct = {
  username: demoCredentials.product.username,
  apiKey: demoCredentials.product.password,
} as const;

/** The demo Client with 2FA of the reference server (packages/server/README.md). */
export const demoClient = demoCredentials.client;

/** A fixed instant 5 s into a 30 s TOTP step (2031-05-06T12:00:05Z), for servers on a test clock. */
export const t0 = Date.UTC(2031, 4, 6, 12, 0, 5);
export const stepMs = 30_000;

/** The 6-digit TOTP code for `secret` at `ms`, as the SDK computes it. */
export function codeAt(ms: number, secret: string = demoClient.totpSecret): string {
  const code = totpCodeSource(secret)({ now: ms, signal: undefined });
  if (typeof code !== 'string') throw new TypeError('totpCodeSource returned a promise');
  return code;
}

/** A clock a test moves by hand (for the server and for `run`). */
export class TestClock {
  constructor(public ms: number = t0) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * Every secret the tests use: none may ever appear in stderr. Tests add the ones they make up
 * (wrong passwords, codes) and every token they receive.
 */
export const knownSecrets = new Set<string>([demoProduct.apiKey, demoClient.password, demoClient.totpSecret]);

/** The forms a secret could leak in: as is, form-encoded, URI-encoded, JSON-escaped. */
function leakForms(secret: string): string[] {
  return [
    secret,
    new URLSearchParams([['', secret]]).toString().slice(1),
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
  ];
}

/** Fails when `text` holds any of `secrets` (in any form it could be echoed in). */
export function expectNoSecrets(text: string, secrets: Iterable<string> = knownSecrets): void {
  for (const secret of secrets) {
    for (const form of leakForms(secret)) {
      if (form.length > 0 && text.includes(form))
        throw new Error(`stderr holds a secret (${secret.length} characters; not shown)`);
    }
  }
}

/** Standard input that fails the run if it is read. */
export const unreadStdin: RunIo['stdin'] = {
  [Symbol.asyncIterator]() {
    throw new Error('standard input was read although --password-stdin was not given');
  },
};

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Text piped to standard input; default: standard input must not be read. */
  stdin?: string | RunIo['stdin'];
  now?: () => number;
  stdout?: RunIo['stdout'];
}

/**
 * Runs the CLI in-process. Checks, for every run, that stderr holds no known secret, that a
 * failure prints exactly one line, and that a success prints nothing on stderr.
 */
export async function runCli(argv: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const stdin =
    options.stdin === undefined
      ? unreadStdin
      : typeof options.stdin === 'string'
        ? Readable.from([Buffer.from(options.stdin)])
        : options.stdin;
  const code = await run(argv, {
    env: options.env ?? {},
    stdin,
    stdout: options.stdout ?? { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    now: options.now,
  });
  if (code === 0) expect(stderr).toBe('');
  else expect(stderr).toMatch(/^lumminary-auth: [^\n]+\n$/u);
  // A token received is a secret too: it must never be in a message.
  for (const [token] of stdout.matchAll(/eyJ[\w-]+\.[\w-]+\.[\w-]+/gu)) knownSecrets.add(token);
  expectNoSecrets(stderr);
  return { code, stdout, stderr };
}

/** A JWT's payload, decoded (for assertions). */
export function payloadOf(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export interface FakeServer {
  url: string;
  /** The bodies of the requests received, in order. */
  bodies: string[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 answering every request with `respond` (after reading its body). */
export async function startFakeServer(
  respond: (request: IncomingMessage, body: string, response: ServerResponse) => void,
): Promise<FakeServer> {
  const bodies: string[] = [];
  const server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push(body);
      respond(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** A TCP server that accepts connections and never answers. */
export async function startSilentServer(): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The URL of a loopback port nothing listens on (it was free a moment ago). */
export async function closedPortUrl(): Promise<string> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return `http://127.0.0.1:${port}`;
}
