// Real sockets and real fetch: concurrent logins against a listening server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAccountsFile, demoAccountsFile } from './accounts.js';
import { hashSecret } from './secrets.js';
import { startAuthServer, type RunningAuthServer } from './server.js';
import {
  clientFields,
  codeAt,
  demoClient,
  encode,
  expectError,
  expectToken,
  productFields,
  stepMs,
  TestClock,
  type Encoding,
  type Fields,
} from './test-support/demo.js';

const clock = new TestClock();
let server: RunningAuthServer;
const fastClient = 'fast.hash@example.org';

beforeAll(async () => {
  // The demo accounts, plus a 2FA account with a cheap hash: its 20 password checks finish almost
  // together, so the requests reach the 2FA check at the same moment (the hardest case for atomicity).
  const demo = readAccountsFile(demoAccountsFile);
  const cheap = {
    username: fastClient,
    roles: ['role_product'],
    secret: await hashSecret(demoClient.password, { N: 1024, r: 1, p: 1 }),
    totp: { secret: demoClient.totpSecret },
  };
  server = await startAuthServer({
    clock,
    quiet: true,
    accounts: { accounts: [...demo.accounts, cheap] },
    // Limits high enough that the losers of a race get 401, not 429.
    rateLimit: { accountFailures: 1_000, addressFailures: 1_000 },
  });
});
afterAll(async () => {
  await server.close();
});

function post(fields: Fields, encoding: Encoding): Promise<Response> {
  const { body, headers } = encode(fields, encoding);
  return fetch(`${server.url}/auth/jwt`, { method: 'POST', body, headers, signal: AbortSignal.timeout(20_000) });
}

describe('a fresh 2FA code raced by 20 parallel requests', () => {
  it.each<[string, Encoding, number]>([
    [demoClient.username, 'form', 0],
    [demoClient.username, 'multipart', 1],
    [fastClient, 'form', 2],
    [fastClient, 'multipart', 3],
    [fastClient, 'form', 4],
    [fastClient, 'multipart', 5],
  ])('is accepted exactly once (%s, %s, step %i)', async (username, encoding, step) => {
    clock.ms = new TestClock().ms + step * 10 * stepMs;
    const fields = clientFields(codeAt(clock.now())).map(
      ([name, value]) => [name, name === 'username' ? username : value] as const,
    );
    const responses = await Promise.all(Array.from({ length: 20 }, () => post(fields, encoding)));
    const ok = responses.filter((response) => response.status === 200);
    expect(ok).toHaveLength(1);
    await expectToken(ok[0] as Response);
    for (const response of responses.filter((each) => each.status !== 200)) {
      await expectError(response, 401, 'invalid_two_factor_token');
    }
  });
});

describe('parallel logins without 2FA', () => {
  it('all succeed, each with its own token', async () => {
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => post(productFields(), i % 2 === 0 ? 'form' : 'multipart')),
    );
    const tokens = await Promise.all(responses.map((response) => expectToken(response)));
    expect(new Set(tokens).size).toBe(12);
  });
});
