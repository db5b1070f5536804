import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { getRequestListener, RequestError } from '@hono/node-server';
import { createAuthApp, type AuthAppOptions } from './app.js';
import { errorBody, errorMessages, internalErrorBody } from './errors.js';

/** Options of `startAuthServer`: the app's options plus where to listen. */
export interface AuthServerOptions extends AuthAppOptions {
  /** TCP port on 127.0.0.1; 0 picks a free port. Default 0. */
  port?: number | undefined;
  /** Milliseconds a client has to send a whole request (headers included). Default 10 000. */
  requestTimeoutMs?: number | undefined;
}

/** A running server. */
export interface RunningAuthServer {
  /** Base URL, e.g. `http://127.0.0.1:4011` (POST `${url}/auth/jwt`). */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** The host the reference server listens on: loopback only. */
export const listenHost = '127.0.0.1';

function jsonErrorResponse(status: number, problem: string): Response {
  const body = errorBody('invalid_request', errorMessages.invalidForm, { request: problem });
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
  });
}

/** Answers requests Node's HTTP parser rejects (oversized headers, broken framing) with a JSON error. */
function answerClientError(
  error: NodeJS.ErrnoException,
  socket: Socket,
  log: ((line: string) => void) | undefined,
): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const status = timeout ? 408 : 400;
  const problem =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'The request headers are too large.'
      : timeout
        ? 'The request was not received in time.'
        : 'The request is not valid HTTP/1.1.';
  const body = JSON.stringify(
    timeout
      ? errorBody('request_timeout', errorMessages.requestTimeout)
      : errorBody('invalid_request', errorMessages.invalidForm, { request: problem }),
  );
  const reason = timeout ? 'Request Timeout' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  log?.(`(unparsed request) ${status} ${error.code ?? 'error'}`);
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, listenHost, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('The server has no TCP address'));
      else resolve(address.port);
    });
  });
}

/** Starts the reference auth server on 127.0.0.1 (Hono on @hono/node-server). */
export async function startAuthServer(options: AuthServerOptions = {}): Promise<RunningAuthServer> {
  const requestedPort = options.port ?? 0;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65_535) {
    throw new RangeError('port must be an integer from 0 to 65535');
  }
  const app = createAuthApp(options);
  const log = options.quiet === true ? undefined : (options.log ?? ((line: string) => console.log(line)));
  const listener = getRequestListener(app.fetch, {
    hostname: listenHost,
    // Requests @hono/node-server cannot turn into a Request (bad Host header, bad target) get a JSON 400, not an empty one.
    errorHandler: (error) => {
      const bad = error instanceof RequestError;
      log?.(`(unroutable request) ${bad ? 400 : 500}`);
      if (bad) return jsonErrorResponse(400, 'The request target or Host header is not valid.');
      return new Response(JSON.stringify(internalErrorBody), {
        status: 500,
        headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
      });
    },
  });
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const server = createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      // Node checks the timeouts above only this often (30 s by default).
      connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs),
    },
    listener,
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => answerClientError(error, socket, log));
  const port = await listen(server, requestedPort);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${listenHost}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
