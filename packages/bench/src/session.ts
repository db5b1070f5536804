// How many logins the token session causes, under an injected clock: a cold burst of
// concurrent calls, and minutes of steady traffic.
import { createAuthClient, createTokenSession, type SessionClock } from '@lumminary/auth-sdk';

/** A clock that only moves when told to (sleeping moves it too). */
function virtualClock(start = 1_800_000_000_000): SessionClock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

/** An injected fetch that issues a JWT-shaped token with iat/exp from the virtual clock, and counts logins. */
function tokenIssuer(clock: SessionClock) {
  let logins = 0;
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const fetch = async (): Promise<Response> => {
    logins++;
    const iat = Math.floor(clock.now() / 1000);
    const token = `${encode({ alg: 'ES256' })}.${encode({ sub: 'bench', iat, exp: iat + 30, jti: String(logins) })}.c2ln`;
    return Response.json({ access_token: token });
  };
  return { fetch, logins: () => logins };
}

const credentials = {
  username: '3f8e2c1a-9b7d-4e5f-8a6b-2c4d6e8f0a1b',
  password: 'lk_live_bench',
  role: 'role_product',
};

/** Logins caused by `calls` concurrent getToken calls on a cold session. */
export async function coldBurstLogins(calls = 1000): Promise<number> {
  const clock = virtualClock();
  const issuer = tokenIssuer(clock);
  const session = createTokenSession({ client: createAuthClient({ fetch: issuer.fetch }), credentials, clock });
  await Promise.all(Array.from({ length: calls }, () => session.getToken()));
  return issuer.logins();
}

/** Logins caused by `minutes` of `callsPerSecond` steady getToken calls, and the ideal count. */
export async function steadyLogins({ minutes = 10, callsPerSecond = 50, renewBeforeMs = 5000 } = {}): Promise<{
  logins: number;
  ideal: number;
}> {
  const clock = virtualClock();
  const issuer = tokenIssuer(clock);
  const session = createTokenSession({
    client: createAuthClient({ fetch: issuer.fetch }),
    credentials,
    clock,
    renewBeforeMs,
  });
  const totalCalls = minutes * 60 * callsPerSecond;
  for (let call = 0; call < totalCalls; call++) {
    await session.getToken();
    clock.advance(1000 / callsPerSecond);
  }
  return { logins: issuer.logins(), ideal: Math.ceil((minutes * 60_000) / (30_000 - renewBeforeMs)) };
}
