// Login latency over loopback against a minimal local server: the SDK against raw fetch
// with the same body, sequential and 32 concurrent, rounds in alternating order.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthClient } from '@lumminary/auth-sdk';
import { median } from './stats.js';

const responseBody = JSON.stringify({ access_token: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl' });
const input = { username: '3f8e2c1a-9b7d-4e5f-8a6b-2c4d6e8f0a1b', password: 'lk_live_bench', role: 'role_product' };

/** A server that reads the whole body and answers the same JSON, as fast as node:http can. */
async function startMinimalServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(responseBody),
      });
      response.end(responseBody);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

async function timed(call: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await call();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs `calls` calls with `concurrency` in flight; resolves to each call's latency in ms. */
async function run(call: () => Promise<unknown>, calls: number, concurrency: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < calls) {
      next++;
      latencies.push(await timed(call));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
}

export interface LatencyResult {
  sdkMs: number;
  rawMs: number;
}

/** Median over rounds of each round's median latency, for the SDK and for raw fetch. */
export async function measureLoopback({
  rounds = 8,
  concurrency = 1,
  callsPerRound = 300,
} = {}): Promise<LatencyResult> {
  const { url, server } = await startMinimalServer();
  try {
    const auth = createAuthClient({ baseUrl: url });
    const body = new URLSearchParams(input).toString();
    const variants = {
      sdk: () => auth.postJwtAuth(input),
      raw: async () => {
        const response = await fetch(`${url}/auth/jwt`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body,
        });
        return response.json();
      },
    };
    await run(variants.sdk, 200, concurrency);
    await run(variants.raw, 200, concurrency);
    const medians = { sdk: [] as number[], raw: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['sdk', 'raw'] as const) : (['raw', 'sdk'] as const);
      for (const name of order) medians[name].push(median(await run(variants[name], callsPerRound, concurrency)));
    }
    return { sdkMs: median(medians.sdk), rawMs: median(medians.raw) };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
