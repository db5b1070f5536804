// Per-call cost of a login without network: every variant gets the same prepared response
// from an injected fetch, so the differences are what each layer adds.
import { createAuthClient } from '@lumminary/auth-sdk';
import type { paths } from '@lumminary/auth-sdk/spec';
import createClient from 'openapi-fetch';
import { median } from './stats.js';

const baseUrl = 'https://bench.invalid/v1';
const url = `${baseUrl}/auth/jwt`;
const responseBody = JSON.stringify({ access_token: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl' });
const input = { username: '3f8e2c1a-9b7d-4e5f-8a6b-2c4d6e8f0a1b', password: 'lk_live_bench', role: 'role_product' };
const formBody = new URLSearchParams(input).toString();
const formHeaders = { 'Content-Type': 'application/x-www-form-urlencoded' };

/** The injected fetch: answers every call with the same JSON, without reading the request. */
const preparedFetch = async (_input: unknown, _init?: unknown): Promise<Response> =>
  new Response(responseBody, { status: 200, headers: { 'Content-Type': 'application/json' } });

export const overheadVariants: Record<string, () => Promise<unknown>> = {
  'fetch(url, init)': async () =>
    (await preparedFetch(url, { method: 'POST', headers: formHeaders, body: formBody })).json(),
  'fetch(new Request(...))': async () =>
    (await preparedFetch(new Request(url, { method: 'POST', headers: formHeaders, body: formBody }))).json(),
  'openapi-fetch POST': (() => {
    const client = createClient<paths>({ baseUrl, fetch: preparedFetch });
    return () => client.POST('/auth/jwt', { body: input, headers: formHeaders });
  })(),
  'SDK postJwtAuth': (() => {
    const auth = createAuthClient({ baseUrl, fetch: preparedFetch });
    return () => auth.postJwtAuth(input);
  })(),
};

/** Median µs per call of each variant over `rounds`, rotating the order each round. */
export async function measureOverhead({ rounds = 15, callsPerRound = 2000 } = {}): Promise<Map<string, number>> {
  const names = Object.keys(overheadVariants);
  const samples = new Map<string, number[]>(names.map((name) => [name, []]));
  for (const name of names) for (let i = 0; i < 500; i++) await overheadVariants[name]!(); // warm-up
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]!);
    for (const name of order) {
      const call = overheadVariants[name]!;
      const start = process.hrtime.bigint();
      for (let i = 0; i < callsPerRound; i++) await call();
      samples.get(name)!.push(Number(process.hrtime.bigint() - start) / 1000 / callsPerRound);
    }
  }
  return new Map([...samples].map(([name, values]) => [name, median(values)]));
}
