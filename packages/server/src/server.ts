import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { getRequestListener, RequestError } from '@hono/node-server';
import { createAuthApp, type AuthAppOptions } from './app.js';
import { errorBody, errorMessages, internalErrorBody, type ErrorBody } from './errors.js';

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

const jsonHeaders = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } as const;

function invalidRequestBody(problem: string): ErrorBody {
  return errorBody('invalid_request', errorMessages.invalidForm, { request: problem });
}

function jsonErrorResponse(status: number, problem: string): Response {
  return new Response(JSON.stringify(invalidRequestBody(problem)), { status, headers: jsonHeaders });
}

/** A whole HTTP/1.1 response with a JSON error body that closes the connection, for sockets no request handler owns. */
function rawErrorResponse(status: 400 | 408, body: ErrorBody): string {
  const text = JSON.stringify(body);
  const reason = status === 408 ? 'Request Timeout' : 'Bad Request';
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n` +
    `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`
  );
}

/** Answers a request Node hands over before any routing with a JSON 400 and closes the connection. */
function answerBadRequest(response: ServerResponse, problem: string): void {
  const text = JSON.stringify(invalidRequestBody(problem));
  response.writeHead(400, { ...jsonHeaders, 'Content-Length': Buffer.byteLength(text), Connection: 'close' });
  response.end(text);
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
  const body = timeout
    ? errorBody('request_timeout', errorMessages.requestTimeout)
    : invalidRequestBody(
        error.code === 'HPE_HEADER_OVERFLOW'
          ? 'The request headers are too large.'
          : 'The request is not valid HTTP/1.1.',
      );
  socket.end(rawErrorResponse(status, body));
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
      // Node would answer a missing Host with an empty 400; the handler below answers it with the JSON one.
      requireHostHeader: false,
    },
    (request: IncomingMessage, response: ServerResponse) => {
      // RFC 9112, section 3.2: an HTTP/1.1 request without Host is a 400.
      if (request.httpVersion === '1.1' && request.headers.host === undefined) {
        answerBadRequest(response, 'The Host header is missing.');
        log?.('(unroutable request) 400');
        return;
      }
      void listener(request, response);
    },
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => answerClientError(error, socket, log));
  // An Expect other than 100-continue: Node would answer a bare 417, which the spec does not declare.
  server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    answerBadRequest(response, 'The only expectation supported is 100-continue.');
    log?.('(unsupported expectation) 400');
  });
  // CONNECT: without a listener, Node drops the connection without a word.
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    socket.end(rawErrorResponse(400, invalidRequestBody('CONNECT is not supported.')));
    log?.('(tunnel request) 400');
  });
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
