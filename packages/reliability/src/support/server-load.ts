// A typed, bounded wrapper of autocannon 9 (which ships no types): runs for a fixed duration or number
// of requests on loopback and stops by itself.
import { createRequire } from 'node:module';

/** One request autocannon cycles through. */
export interface LoadRequest {
  method: 'POST' | 'GET';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  /** The server's base URL; only 127.0.0.1 is allowed. */
  url: string;
  /** Sent in turn on each connection. */
  requests: LoadRequest[];
  connections: number;
  /** Seconds; the run stops by itself after this. */
  durationSeconds: number;
  /** Seconds without an answer before a request counts as timed out. */
  timeoutSeconds: number;
}

interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
}

/** The parts of autocannon's result the battery reads. */
export interface LoadResult {
  duration: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  resets: number;
  non2xx: number;
  '2xx': number;
  '4xx': number;
  '5xx': number;
  statusCodeStats: Record<string, { count: number }>;
  requests: Histogram & { sent: number };
  latency: Histogram;
}

type Autocannon = (options: Record<string, unknown>) => PromiseLike<LoadResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Runs autocannon against `url` for `durationSeconds` (no progress bar, no table). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (new URL(options.url).hostname !== '127.0.0.1') throw new Error('load runs target 127.0.0.1 only');
  const [first] = options.requests;
  if (first === undefined) throw new Error('no request to send');
  return autocannon({
    url: new URL(first.path, options.url).href,
    requests: options.requests,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: options.timeoutSeconds,
    pipelining: 1,
    renderProgressBar: false,
    renderResultsTable: false,
    renderLatencyTable: false,
  });
}

/** Counts by status code, e.g. `{ 200: 812 }`. */
export function statusCounts(result: LoadResult): Record<string, number> {
  return Object.fromEntries(Object.entries(result.statusCodeStats).map(([status, { count }]) => [status, count]));
}
