// A fixture server for fixtures/protected-api.yaml: "a user's own API" secured by the Lumminary
// `Bearer` scheme. It verifies every token with the reference auth server's JWKS, as a real
// resource server would, and counts what it saw so that the session tests can assert on it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';

/** The reference auth server's default `iss`. */
export const referenceIssuer = 'urn:lumminary:reference-auth-server';

/** Options of `startProtectedApi`. */
export interface ProtectedApiOptions {
  /** Where the auth server publishes its keys, e.g. `${serverUrl}/.well-known/jwks.json`. */
  jwksUrl: string;
  /** The expected `iss`. Default: the reference server's. */
  issuer?: string | undefined;
  /** Also accept the source document's literal `Authorization: Bearer: <token>`. Default: false. */
  acceptSourceColon?: boolean | undefined;
}

/** Why a request got a 401. */
export type RefusalReason = 'missing' | 'malformed' | 'expired' | 'invalid' | 'revoked';

/** One request as the fixture saw it (never the token itself). */
export interface SeenRequest {
  method: string;
  path: string;
  status: number;
  /** `rfc6750` for `Bearer <t>`, `source-colon` for `Bearer: <t>`, else undefined. */
  format: 'rfc6750' | 'source-colon' | undefined;
  /** The token's `jti`, when it verified (also for a token refused as revoked). */
  jti: string | undefined;
  /** The token's `sub`, when it verified. */
  subject: string | undefined;
  /** Why it was refused, for a 401. */
  refusal: RefusalReason | undefined;
  /** The raw request body, for a POST. */
  body: string | undefined;
}

/** What the fixture counted since it started. */
export interface ProtectedApiStats {
  /** Requests received. */
  requests: number;
  /** Requests answered 401. */
  unauthorized: number;
  /** Requests whose token failed verification as expired (`JWTExpired`). */
  expiredTokens: number;
  /** True once any request carried an expired token. */
  readonly sawExpiredToken: boolean;
  /** 401s by reason. */
  refusals: Record<RefusalReason, number>;
  /** Every request, in arrival order. */
  log: SeenRequest[];
}

/** A running fixture API. */
export interface ProtectedApi {
  url: string;
  stats: ProtectedApiStats;
  /**
   * Test hook: the next `count` requests that carry a valid token are refused with 401, and
   * their tokens revoked (refused from then on), as if the user's API had revoked them.
   */
  revokeNextTokens(count?: number): void;
  stop(): Promise<void>;
}

const maxBodyBytes = 16_384;
// RFC 6750's b64token, and the same after the source's `Bearer:`. The scheme is case-insensitive (RFC 9110).
const rfc6750Header = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/iu;
const sourceColonHeader = /^Bearer: *([A-Za-z0-9\-._~+/]+=*) *$/iu;

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the fixture on a free loopback port. */
export async function startProtectedApi(options: ProtectedApiOptions): Promise<ProtectedApi> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl));
  const issuer = options.issuer ?? referenceIssuer;
  const acceptSourceColon = options.acceptSourceColon ?? false;
  const revoked = new Set<string>();
  let toRevoke = 0;
  /** The things each subject created. */
  const things = new Map<string, string[]>();

  const stats: ProtectedApiStats = {
    requests: 0,
    unauthorized: 0,
    expiredTokens: 0,
    get sawExpiredToken() {
      return this.expiredTokens > 0;
    },
    refusals: { missing: 0, malformed: 0, expired: 0, invalid: 0, revoked: 0 },
    log: [],
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    stats.requests++;
    const path = new URL(request.url ?? '/', 'http://fixture').pathname;
    const seen: SeenRequest = {
      method: request.method ?? '',
      path,
      status: 0,
      format: undefined,
      jti: undefined,
      subject: undefined,
      refusal: undefined,
      body: undefined,
    };
    stats.log.push(seen);
    const answer = (status: number, body: unknown, headers?: Record<string, string>) => {
      seen.status = status;
      sendJson(response, status, body, headers);
    };
    const refuse = (refusal: RefusalReason) => {
      seen.refusal = refusal;
      stats.unauthorized++;
      stats.refusals[refusal]++;
      const error = refusal === 'missing' ? '' : ', error="invalid_token"';
      answer(
        401,
        { code: 'unauthorized', message: `The token is ${refusal}.` },
        {
          'WWW-Authenticate': `Bearer realm="protected-api"${error}`,
        },
      );
    };

    if (path !== '/things') return answer(404, { code: 'not_found', message: 'Unknown path.' });
    if (request.method !== 'GET' && request.method !== 'POST') {
      return answer(405, { code: 'method_not_allowed', message: 'GET or POST.' }, { Allow: 'GET, POST' });
    }
    if (request.method === 'POST') {
      seen.body = await readBody(request);
      if (seen.body === undefined) return answer(413, { code: 'payload_too_large', message: 'Too large.' });
    } else {
      request.resume();
    }

    const header = request.headers.authorization;
    if (header === undefined || header === '') return refuse('missing');
    let token: string | undefined;
    if (rfc6750Header.test(header)) {
      seen.format = 'rfc6750';
      token = rfc6750Header.exec(header)?.[1];
    } else if (sourceColonHeader.test(header)) {
      seen.format = 'source-colon';
      if (acceptSourceColon) token = sourceColonHeader.exec(header)?.[1];
    }
    if (token === undefined) return refuse('malformed');

    let subject: string;
    let jti: string;
    try {
      const { payload } = await jwtVerify(token, jwks, { algorithms: ['ES256'], issuer });
      if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string') return refuse('invalid');
      subject = payload.sub;
      jti = payload.jti;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        stats.expiredTokens++;
        return refuse('expired');
      }
      return refuse('invalid');
    }
    seen.subject = subject;
    seen.jti = jti;
    if (toRevoke > 0) {
      toRevoke--;
      revoked.add(jti);
    }
    if (revoked.has(jti)) return refuse('revoked');

    const own = things.get(subject) ?? [];
    things.set(subject, own);
    if (request.method === 'GET') return answer(200, { items: own, subject });

    let name: unknown;
    try {
      name = (JSON.parse(seen.body ?? '') as { name?: unknown }).name;
    } catch {
      return answer(400, { code: 'invalid_request', message: 'The body is not JSON.' });
    }
    if (typeof name !== 'string' || name.length === 0) {
      return answer(400, { code: 'invalid_request', message: 'name must be a non-empty string.' });
    }
    own.push(name);
    return answer(201, { name, owner: subject });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) sendJson(response, 500, { code: 'internal_error', message: 'Internal error.' });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    revokeNextTokens(count = 1) {
      toRevoke += count;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
