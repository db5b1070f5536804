// Bounded load on loopback with autocannon against a listening reference server (client and server
// share this process): 5 s of valid product logins (urlencoded; scrypt makes each one CPU-heavy), then
// 3 s of cheap refused requests (malformed forms → 400, a wrong content type → 415) for throughput.
// Each run stops by itself; both must have no 5xx, no errors, no timeouts, no dropped requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordCases, recordFigure } from './figures/record.js';
import {
  badLogLines,
  formBody,
  formType,
  jwtAuthPath,
  loggedStatus,
  postForm,
  productFields,
  startCapturedServer,
  type CapturedServer,
} from './support/server-harness.js';
import { runLoad, statusCounts, type LoadResult } from './support/server-load.js';

const family = 'load';
const connections = 10;
let server: CapturedServer;
const figures = { tried: 0, failures: 0 };

beforeAll(async () => {
  server = await startCapturedServer();
  // Warm up scrypt, the key pair and the JIT before measuring.
  for (let i = 0; i < 3; i++) expect((await postForm(server.url, productFields())).status).toBe(200);
  server.logs.length = 0;
});

afterAll(async () => {
  recordCases(family, figures.tried, figures.failures);
  await server?.close();
});

/** What went wrong in a run: errors, timeouts, a 5xx, a status outside `allowed`, requests sent but never answered. */
function runProblems(result: LoadResult, allowed: readonly string[]): string[] {
  const problems: string[] = [];
  if (result.errors > 0) problems.push(`${result.errors} errors`);
  if (result.timeouts > 0) problems.push(`${result.timeouts} timeouts`);
  if (result['5xx'] > 0) problems.push(`${result['5xx']} 5xx`);
  const unexpected = Object.keys(statusCounts(result)).filter((status) => !allowed.includes(status));
  if (unexpected.length > 0) problems.push(`statuses ${unexpected.join(', ')}`);
  // Only the requests in flight when the run stopped may go unanswered.
  const unanswered = result.requests.sent - result.requests.total;
  if (unanswered > connections) problems.push(`${unanswered} requests sent but not answered`);
  if (result.requests.total === 0) problems.push('no request completed');
  return problems;
}

function record(label: string, result: LoadResult, allowed: readonly string[]): void {
  const counts = statusCounts(result);
  const refused = Object.entries(counts).filter(([status]) => !allowed.includes(status));
  // autocannon counts a timeout as an error too.
  const failed =
    result.errors +
    refused.reduce((sum, [, count]) => sum + count, 0) +
    Math.max(0, result.requests.sent - result.requests.total - connections);
  figures.tried += result.requests.total;
  figures.failures += failed;
  recordFigure(family, `${label}: requests`, result.requests.total);
  recordFigure(family, `${label}: requests/s`, Math.round(result.requests.average * 10) / 10);
  recordFigure(family, `${label}: latency p50 (ms)`, result.latency.p50);
  recordFigure(family, `${label}: latency p99 (ms)`, result.latency.p99);
}

describe('load', () => {
  it('serves 5 s of valid logins on 10 connections: all 200, no error, timeout or 5xx', async () => {
    const result = await runLoad({
      url: server.url,
      requests: [
        { method: 'POST', path: jwtAuthPath, headers: { 'content-type': formType }, body: formBody(productFields()) },
      ],
      connections,
      durationSeconds: 5,
      timeoutSeconds: 10,
    });
    const problems = runProblems(result, ['200']);
    record('logins', result, ['200']);
    expect(problems).toEqual([]);
    expect(result.non2xx).toBe(0);
    expect(result.requests.total).toBeGreaterThanOrEqual(20);
    // The server saw them all, and logged no failure.
    expect(server.logs.length).toBeGreaterThanOrEqual(result.requests.total);
    expect(badLogLines(server.logs)).toEqual([]);
    expect(server.logs.every((line) => loggedStatus(line) === 200)).toBe(true);
  });

  it('serves 3 s of cheap refused requests (400 malformed, 415 wrong type): only those, no error, timeout or 5xx', async () => {
    server.logs.length = 0;
    const result = await runLoad({
      url: server.url,
      requests: [
        {
          method: 'POST',
          path: jwtAuthPath,
          headers: { 'content-type': formType },
          body: 'username=&password=%zz&role=R',
        },
        {
          method: 'POST',
          path: jwtAuthPath,
          headers: { 'content-type': 'text/plain' },
          body: formBody(productFields()),
        },
      ],
      connections,
      durationSeconds: 3,
      timeoutSeconds: 10,
    });
    const problems = runProblems(result, ['400', '415']);
    record('refused requests', result, ['400', '415']);
    expect(problems).toEqual([]);
    const counts = statusCounts(result);
    expect(counts['400'] ?? 0).toBeGreaterThan(0);
    expect(counts['415'] ?? 0).toBeGreaterThan(0);
    expect(badLogLines(server.logs)).toEqual([]);
    // After the load, a login still works.
    expect((await postForm(server.url, productFields())).status).toBe(200);
  });
});
