// Loopback servers and process probes for the client battery: a raw TCP server whose answer to each
// login is a script (so that it can misbehave at any byte), a capture server, and checks that a call
// left no timer, socket or unhandled rejection behind.
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';

/** Only loopback is used. */
export const loopback = '127.0.0.1';

/** An HTTP request as a fault server received it. */
export interface ReceivedRequest {
  method: string;
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The body's bytes. */
  body: Buffer;
}

/** What a fault server does with each request: write anything to the socket, or nothing at all. */
export type FaultHandler = (socket: Socket, request: ReceivedRequest) => void;

/** One TCP connection a fault server accepted. */
export interface FaultConnection {
  readonly socket: Socket;
  /** The request it carried, once complete (undefined for a connection that never sent one). */
  request: ReceivedRequest | undefined;
  /** When the connection closed (`performance.now()`), undefined while open. */
  closedAt: number | undefined;
  /** Settles when the connection closes, by either side. */
  readonly closed: Promise<void>;
  /** Bytes written to it by the handler (counted by `writeAll`/`pump`). */
  bytesSent: number;
}

/** A raw TCP server on 127.0.0.1 that answers each request with its (replaceable) handler. */
export interface FaultServer {
  readonly url: string;
  readonly port: number;
  /** Every connection accepted, in order. */
  readonly connections: FaultConnection[];
  /** The connections that carried a complete request. */
  requests(): FaultConnection[];
  /** What the server does with the next requests. */
  handler: FaultHandler;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

function parseHead(head: string): Omit<ReceivedRequest, 'body'> {
  const [requestLine = '', ...lines] = head.split('\r\n');
  const [method = '', path = ''] = requestLine.split(' ');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { method, path, headers };
}

const socketConnections = new WeakMap<Socket, FaultConnection>();

/** Starts a fault server (on `port`, or a free one). */
export async function startFaultServer(handler: FaultHandler, port = 0): Promise<FaultServer> {
  const connections: FaultConnection[] = [];
  const server: Server = createServer((socket) => {
    let resolveClosed: () => void = () => {};
    const connection: FaultConnection = {
      socket,
      request: undefined,
      closedAt: undefined,
      closed: new Promise<void>((resolve) => {
        resolveClosed = resolve;
      }),
      bytesSent: 0,
    };
    connections.push(connection);
    socketConnections.set(socket, connection);
    socket.on('error', () => {}); // resets are what these servers are for
    socket.on('close', () => {
      connection.closedAt = performance.now();
      resolveClosed();
    });
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = parseHead(received.subarray(0, end).toString('latin1'));
      const length = Number(head.headers['content-length'] ?? 0);
      if (received.length < end + 4 + length) return;
      socket.off('data', onData);
      connection.request = { ...head, body: received.subarray(end + 4, end + 4 + length) };
      fault.handler(socket, connection.request);
    };
    socket.on('data', onData);
  });
  server.listen(port, loopback);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const fault: FaultServer = {
    url: `http://${loopback}:${address.port}`,
    port: address.port,
    connections,
    requests: () => connections.filter((connection) => connection.request !== undefined),
    handler,
    async close() {
      for (const { socket } of connections) socket.destroy();
      if (server.listening) {
        server.close();
        await once(server, 'close');
      }
    },
  };
  return fault;
}

/** Writes to a fault server's socket, counting the bytes; false once the socket is gone. */
export function writeAll(socket: Socket, data: string | Buffer): boolean {
  if (socket.destroyed) return false;
  const connection = socketConnections.get(socket);
  if (connection !== undefined)
    connection.bytesSent += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  return socket.write(data);
}

/** An HTTP/1.1 response head; `Connection: close` unless headers say otherwise. */
export function responseHead(status: number, reason: string, headers: Record<string, string | number> = {}): string {
  const lines = Object.entries({ Connection: 'close', ...headers }).map(([name, value]) => `${name}: ${value}`);
  return `HTTP/1.1 ${status} ${reason}\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** A whole response with a Content-Length, then the connection is ended. */
export function respond(
  socket: Socket,
  status: number,
  reason: string,
  body: string | Buffer,
  headers: Record<string, string | number> = {},
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  writeAll(socket, responseHead(status, reason, { 'Content-Length': bytes.length, ...headers }));
  writeAll(socket, bytes);
  socket.end();
}

/**
 * Writes `chunk` again and again, with backpressure (so that the server side never buffers more
 * than the socket does), until `totalBytes` are sent or the peer goes away.
 */
export function pump(socket: Socket, chunk: Buffer, totalBytes = Number.POSITIVE_INFINITY): void {
  let sent = 0;
  const next = () => {
    while (sent < totalBytes && !socket.destroyed) {
      sent += chunk.length;
      if (!writeAll(socket, chunk)) {
        socket.once('drain', next);
        return;
      }
    }
    if (!socket.destroyed) socket.end();
  };
  next();
}

/** Writes `data` one byte every `intervalMs`, until done or the peer goes away. */
export function trickle(socket: Socket, data: string | Buffer, intervalMs: number): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let index = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || index >= bytes.length) {
      clearInterval(timer);
      return;
    }
    writeAll(socket, bytes.subarray(index, index + 1));
    index++;
  }, intervalMs);
  socket.once('close', () => clearInterval(timer));
}

/**
 * A handler that forwards each request to `target` (e.g. the reference server) on a connection of its
 * own, closed afterwards, and relays the answer: the fault server turned healthy.
 */
export function forwardTo(target: string): FaultHandler {
  return (socket, request) => {
    const headers: Record<string, string | number> = { 'Content-Length': request.body.length };
    for (const name of ['content-type', 'accept', 'x-fields']) {
      const value = request.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    const outgoing = httpRequest(
      `${target}${request.path}`,
      { method: request.method, agent: false, headers },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          respond(socket, incoming.statusCode ?? 502, incoming.statusMessage ?? '', Buffer.concat(chunks), {
            'Content-Type': incoming.headers['content-type'] ?? 'application/octet-stream',
          }),
        );
      },
    );
    outgoing.on('error', () => socket.destroy());
    outgoing.end(request.body);
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, loopback);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** What a capture server recorded of one request. */
export interface CapturedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A node:http server on 127.0.0.1 that records each request and answers with `reply`. */
export async function startCaptureServer(
  reply: (request: CapturedRequest) => { status: number; body: string; headers?: Record<string, string> },
): Promise<{ url: string; requests: CapturedRequest[]; close(): Promise<void> }> {
  const requests: CapturedRequest[] = [];
  const server = createHttpServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const request: CapturedRequest = {
        method: incoming.method ?? '',
        url: incoming.url ?? '',
        headers: incoming.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(request);
      const { status, body, headers = {} } = reply(request);
      outgoing.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      outgoing.end(body);
    });
  });
  server.listen(0, loopback);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://${loopback}:${address.port}`,
    requests,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** The kinds of active resources that a settled login must not leave behind. */
export const watchedResources = ['Timeout', 'TCPSocketWrap', 'TCPServerWrap', 'ConnectWrap'] as const;

/** How many of each watched resource the process holds now. */
export function activeResources(): Record<(typeof watchedResources)[number], number> {
  const counts = { Timeout: 0, TCPSocketWrap: 0, TCPServerWrap: 0, ConnectWrap: 0 };
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind in counts) counts[kind as keyof typeof counts]++;
  }
  return counts;
}

/** Sleeps (a timer that is gone again when this resolves). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits up to `settleMs` for every watched resource to be back at (or below) `baseline`; resolves
 * to the counts found last, which the caller compares with the baseline.
 */
export async function settledResources(
  baseline: ReturnType<typeof activeResources>,
  settleMs = 2_000,
): Promise<ReturnType<typeof activeResources>> {
  const deadline = performance.now() + settleMs;
  for (;;) {
    const now = activeResources();
    const settled = watchedResources.every((kind) => now[kind] <= baseline[kind]);
    if (settled || performance.now() > deadline) return now;
    await sleep(20);
  }
}

/** Collects unhandled rejections and uncaught exceptions while installed. */
export function trackUnhandled(): { readonly reasons: unknown[]; stop(): void } {
  const reasons: unknown[] = [];
  const onRejection = (reason: unknown) => reasons.push(reason);
  const onException = (error: unknown) => reasons.push(error);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    reasons,
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

/** Settles like `promise`, or rejects after `ms` (the call hung); the guard timer is always cleared. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** The peak growth of rss and ArrayBuffer memory while `run` runs, sampled every few ms. */
export async function peakMemoryGrowth<T>(
  run: () => Promise<T>,
): Promise<{ result: T; rssBytes: number; arrayBuffersBytes: number }> {
  const before = process.memoryUsage();
  let rssBytes = 0;
  let arrayBuffersBytes = 0;
  const sample = () => {
    const now = process.memoryUsage();
    rssBytes = Math.max(rssBytes, now.rss - before.rss);
    arrayBuffersBytes = Math.max(arrayBuffersBytes, now.arrayBuffers - before.arrayBuffers);
  };
  const sampler = setInterval(sample, 5);
  try {
    const result = await run();
    sample();
    return { result, rssBytes, arrayBuffersBytes };
  } finally {
    clearInterval(sampler);
  }
}
