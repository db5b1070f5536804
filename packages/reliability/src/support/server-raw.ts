// Raw HTTP/1.1 over node:net, for what fetch refuses to send: broken framing, bad request lines,
// bytes that are not valid in headers, bodies trickled byte by byte, connections cut mid-body.
// Every exchange is bounded: the socket is destroyed when `timeoutMs` passes without it closing.
// (Requests are not followed by a half-close by default: Node's HTTP server, without `httpAllowHalfOpen`,
// drops a request whose client shut down its sending side before the answer was ready.)
import { connect } from 'node:net';

/** One HTTP response read off the wire (1xx interim responses are skipped). */
export interface RawResponse {
  status: number;
  /** Header names in lower case; repeated headers joined with `, `. */
  headers: Map<string, string>;
  /** The body as UTF-8 (chunked bodies are de-chunked). */
  text: string;
}

/** What happened on one connection. */
export interface RawExchange {
  responses: RawResponse[];
  /** Every byte received, as latin1. */
  raw: string;
  /** Bytes after the last complete response (an unparsable or cut answer). */
  rest: string;
  /** The socket error seen, if any (e.g. ECONNRESET when the server cuts a connection still being written). */
  error: string | undefined;
  /** True when the connection was still open after `timeoutMs` (a hang). */
  timedOut: boolean;
  ms: number;
}

export interface RawRequest {
  port: number;
  /** Written as soon as the connection is up. */
  data?: string | Uint8Array | undefined;
  /** Then written one piece at a time, `everyMs` apart, until the server closes the connection. */
  trickle?: { piece: string | Uint8Array; everyMs: number } | undefined;
  /**
   * After writing `data`: `answer` (the default) waits for a complete response, then for `graceMs` of
   * silence (a second response, e.g. to a smuggled request, would show up then) and closes; `half` closes
   * our side (the server sees EOF mid-request but can still answer); `keep` leaves it open until the
   * server closes it; `destroy` cuts the connection after `destroyAfterMs`.
   */
  end?: 'answer' | 'half' | 'keep' | 'destroy' | undefined;
  destroyAfterMs?: number | undefined;
  graceMs?: number | undefined;
  /** With `answer`: when no response came within this many ms (the server waits for a declared body), close our side. */
  halfCloseAfterMs?: number | undefined;
  /** The most the exchange may take. Default 5 000 ms. */
  timeoutMs?: number | undefined;
}

const toBuffer = (data: string | Uint8Array) => (typeof data === 'string' ? Buffer.from(data, 'latin1') : data);

/** Sends bytes on a fresh connection to 127.0.0.1 and reads the answer (bounded by `timeoutMs`). */
export function rawExchange(request: RawRequest): Promise<RawExchange> {
  const {
    port,
    data,
    trickle,
    end = 'answer',
    destroyAfterMs = 50,
    graceMs = 20,
    halfCloseAfterMs,
    timeoutMs = 5_000,
  } = request;
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let timedOut = false;
    let interval: NodeJS.Timeout | undefined;
    let grace: NodeJS.Timeout | undefined;
    let halfClose: NodeJS.Timeout | undefined;
    const bound = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (end !== 'answer') return;
      clearTimeout(grace);
      clearTimeout(halfClose);
      const { responses, rest } = parseResponses(Buffer.concat(chunks));
      if (responses.length > 0 && rest.length === 0) grace = setTimeout(() => socket.destroy(), graceMs);
    });
    socket.on('error', (cause: NodeJS.ErrnoException) => {
      error ??= cause.code ?? cause.name;
    });
    socket.on('close', () => {
      clearTimeout(bound);
      clearTimeout(grace);
      clearTimeout(halfClose);
      clearInterval(interval);
      const all = Buffer.concat(chunks);
      const { responses, rest } = parseResponses(all);
      resolve({
        responses,
        raw: all.toString('latin1'),
        rest: rest.toString('latin1'),
        error,
        timedOut,
        ms: performance.now() - started,
      });
    });
    socket.once('connect', () => {
      if (data !== undefined) socket.write(toBuffer(data));
      if (trickle !== undefined) {
        interval = setInterval(() => {
          if (socket.writable) socket.write(toBuffer(trickle.piece));
        }, trickle.everyMs);
      } else if (end === 'half') {
        socket.end();
      } else if (end === 'destroy') {
        setTimeout(() => socket.destroy(), destroyAfterMs);
      } else if (end === 'answer' && halfCloseAfterMs !== undefined) {
        halfClose = setTimeout(() => socket.end(), halfCloseAfterMs);
      }
    });
  });
}

function dechunk(body: Buffer): { text: Buffer; used: number } | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isSafeInteger(size) || size < 0) return undefined;
    offset = lineEnd + 2;
    if (size === 0) {
      const trailerEnd = body.indexOf('\r\n\r\n', offset - 2);
      if (trailerEnd === -1) return undefined;
      return { text: Buffer.concat(parts), used: trailerEnd + 4 };
    }
    if (body.length < offset + size + 2) return undefined;
    parts.push(body.subarray(offset, offset + size));
    offset += size + 2;
  }
}

/** Splits received bytes into complete HTTP/1.x responses; what cannot be parsed is left in `rest`. */
export function parseResponses(all: Buffer): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  let rest = all;
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd === -1) break;
    const [statusLine = '', ...headerLines] = rest.subarray(0, headEnd).toString('latin1').split('\r\n');
    const statusMatch = /^HTTP\/1\.[01] (\d{3})(?: |$)/u.exec(statusLine);
    if (statusMatch === null) break;
    const status = Number(statusMatch[1]);
    const headers = new Map<string, string>();
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    const body = rest.subarray(headEnd + 4);
    if (status >= 100 && status < 200) {
      rest = body;
      continue;
    }
    let text: Buffer;
    let used: number;
    if (/\bchunked\b/iu.test(headers.get('transfer-encoding') ?? '')) {
      const dechunked = dechunk(body);
      if (dechunked === undefined) break;
      ({ text, used } = dechunked);
    } else if (headers.has('content-length')) {
      used = Number(headers.get('content-length'));
      if (!Number.isSafeInteger(used) || body.length < used) break;
      text = body.subarray(0, used);
    } else {
      text = body;
      used = body.length;
    }
    responses.push({ status, headers, text: text.toString('utf8') });
    rest = body.subarray(used);
  }
  return { responses, rest };
}

/** A `Headers`-like view of a raw response, for the shared checks. */
export function headerView(response: RawResponse): { get(name: string): string | undefined } {
  return { get: (name) => response.headers.get(name.toLowerCase()) };
}
