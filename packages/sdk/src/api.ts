import createClient, { type Client } from 'openapi-fetch';
import { checkBaseUrl } from './client.js';
import { defaultServerUrl } from './generated/jwt-auth-operation.js';
import type { paths } from './generated/openapi.js';

/** Options of `createAuthApi`. */
export interface AuthApiOptions {
  /** Server URL, `/v1` included. Default: the spec's server, `https://api.lumminary.com/v1`. */
  baseUrl?: string | undefined;
  /** The `fetch` to use. Default: `globalThis.fetch`. */
  fetch?: ((request: Request) => Promise<Response>) | undefined;
  /** Extra headers sent with every request. */
  headers?: Record<string, string> | undefined;
  /** Allow plain `http:` to a host other than loopback. Default: false. */
  allowInsecureHttp?: boolean | undefined;
}

/**
 * The plain `openapi-fetch` client of the API, typed by the generated `paths`: every
 * operation of the spec, with its raw `{ data, error, response }` results. `postJwtAuth`
 * of `createAuthClient` is the ergonomic login; use this for anything else.
 */
export function createAuthApi(options: AuthApiOptions = {}): Client<paths> {
  return createClient<paths>({
    baseUrl: checkBaseUrl(options.baseUrl ?? defaultServerUrl, options.allowInsecureHttp ?? false),
    fetch: options.fetch ?? ((request: Request) => globalThis.fetch(request)),
    headers: { Accept: 'application/json', ...options.headers },
  });
}
