// Access tokens issued by a listening reference server, checked three ways: `verifyAccessToken` with
// the served JWKS, `verifyAccessToken` with the public key, and jose's `jwtVerify` directly with the
// JWKS (as a relying party would configure it for a 30-second ES256 token). Forged and altered tokens
// (alg none, another key, HS256 with the public key, a changed payload or signature, a swapped
// signature), expired ones (by one second, injected clock) and not-yet-valid ones (iat or nbf in the
// future) are rejected by all three; a fresh token is accepted by all three.
import { verifyAccessToken } from '@lumminary/auth-server';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordCases } from './figures/record.js';
import {
  demoProduct,
  jwksPath,
  postForm,
  productFields,
  startCapturedServer,
  t0,
  TestClock,
  type CapturedServer,
} from './support/server-harness.js';

const family = 'tokens';
const issuer = 'urn:lumminary:reference-auth-server';
const clock = new TestClock();
let server: CapturedServer;
let serverKey: { privateKey: CryptoKey; publicKey: CryptoKey };
let jwks: JSONWebKeySet;
let publicJwk: JWK;
let kid: string;
const tally = { tried: 0, failures: 0 };

beforeAll(async () => {
  // The server signs with a key pair the test holds, so that it can also forge tokens "signed by the server".
  serverKey = await generateKeyPair('ES256', { extractable: true });
  server = await startCapturedServer({ clock, signingKey: serverKey });
  jwks = (await (await fetch(`${server.url}${jwksPath}`)).json()) as JSONWebKeySet;
  publicJwk = jwks.keys[0] as JWK;
  kid = publicJwk.kid ?? '';
});

afterAll(async () => {
  recordCases(family, tally.tried, tally.failures);
  await server?.close();
});

/** Logs the demo product in at `atMs` (server clock) and returns the token. */
async function issue(atMs: number = t0): Promise<string> {
  clock.ms = atMs;
  const response = await postForm(server.url, productFields());
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

type Verifier = (token: string, atMs: number) => Promise<unknown>;
const verifiers: Record<string, Verifier> = {
  'verifyAccessToken (JWKS)': (token, atMs) => verifyAccessToken(token, { jwks, clock: { now: () => atMs } }),
  'verifyAccessToken (public key)': (token, atMs) =>
    verifyAccessToken(token, { key: publicJwk, clock: { now: () => atMs } }),
  'jose jwtVerify (JWKS)': (token, atMs) =>
    jwtVerify(token, createLocalJWKSet(jwks), {
      algorithms: ['ES256'],
      issuer,
      typ: 'JWT',
      currentDate: new Date(atMs),
      maxTokenAge: 30,
      requiredClaims: ['sub', 'role', 'iat', 'exp', 'jti'],
    }),
};

/** `accepted`, or `rejected (<jose error code or name>)`: never the token itself. */
async function outcome(verify: Verifier, token: string, atMs: number): Promise<string> {
  try {
    await verify(token, atMs);
    return 'accepted';
  } catch (error) {
    const { code, name } = error as { code?: string; name?: string };
    return `rejected (${code ?? name ?? 'error'})`;
  }
}

/** Checks every verifier; returns `verifier: outcome` for each one that did not do as expected. */
async function expectAll(token: string, atMs: number, expected: 'accepted' | RegExp): Promise<string[]> {
  const wrong: string[] = [];
  for (const [name, verify] of Object.entries(verifiers)) {
    const result = await outcome(verify, token, atMs);
    tally.tried++;
    const right = expected === 'accepted' ? result === 'accepted' : expected.test(result);
    if (!right) {
      tally.failures++;
      wrong.push(`${name}: ${result}`);
    }
  }
  return wrong;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const parts = (token: string) => token.split('.') as [string, string, string];
const rejected = /^rejected/u;

/** Signs `claims` with `key` under a header like the server's (kid included). */
function forge(
  claims: Record<string, unknown>,
  key: CryptoKey | Uint8Array,
  alg = 'ES256',
  header: Record<string, unknown> = {},
) {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT', kid, ...header }).sign(key);
}

describe('tokens', () => {
  it('a fresh token is accepted by all three, from its issue to 29 s later, with the claims the README lists', async () => {
    const token = await issue();
    const iat = Math.floor(t0 / 1000);
    expect(await expectAll(token, t0, 'accepted')).toEqual([]);
    expect(await expectAll(token, (iat + 29) * 1000, 'accepted')).toEqual([]);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'JWT', kid });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: issuer, sub: demoProduct.username, role: 'role_product', iat, exp: iat + 30 });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/u);
    expect(await exportJWK(serverKey.publicKey)).toMatchObject({ x: publicJwk.x, y: publicJwk.y });
  });

  it('rejects alg: none, with and without the original signature', async () => {
    const [, payload, signature] = parts(await issue());
    const none = b64({ alg: 'none', typ: 'JWT' });
    expect(await expectAll(`${none}.${payload}.`, t0, rejected)).toEqual([]);
    expect(await expectAll(`${none}.${payload}.${signature}`, t0, rejected)).toEqual([]);
    expect(await expectAll(`${b64({ alg: 'none', typ: 'JWT', kid })}.${payload}.`, t0, rejected)).toEqual([]);
  });

  it('rejects a token signed with another key, and HS256 keyed with the public key', async () => {
    const claims = decodeJwt(await issue());
    const other = await generateKeyPair('ES256');
    expect(await expectAll(await forge(claims, other.privateKey), t0, rejected)).toEqual([]);
    for (const secret of [JSON.stringify(publicJwk), publicJwk.x ?? '']) {
      const hs256 = await forge(claims, new TextEncoder().encode(secret), 'HS256');
      expect(await expectAll(hs256, t0, rejected)).toEqual([]);
    }
  });

  it('rejects a tampered payload (role, subject, expiry) under the original signature', async () => {
    const token = await issue();
    const [header, , signature] = parts(token);
    const claims = decodeJwt(token);
    for (const change of [
      { role: 'role_admin' },
      { sub: 'ada.lovelace@example.org' },
      { exp: (claims.exp ?? 0) + 3_600 },
    ]) {
      expect(await expectAll(`${header}.${b64({ ...claims, ...change })}.${signature}`, t0, rejected)).toEqual([]);
    }
  });

  it('rejects a tampered signature: a flipped bit, a cut, another token’s signature', async () => {
    const token = await issue();
    const [header, payload, signature] = parts(token);
    const bytes = Buffer.from(signature, 'base64url');
    bytes[10] = (bytes[10] ?? 0) ^ 0x01;
    expect(await expectAll(`${header}.${payload}.${bytes.toString('base64url')}`, t0, rejected)).toEqual([]);
    expect(await expectAll(`${header}.${payload}.${signature.slice(0, -4)}`, t0, rejected)).toEqual([]);
    const [, , otherSignature] = parts(await issue(t0 + 1_000));
    expect(await expectAll(`${header}.${payload}.${otherSignature}`, t0, rejected)).toEqual([]);
  });

  it('rejects a token expired by one second, and at the second of its expiry (injected clock)', async () => {
    const token = await issue();
    const exp = decodeJwt(token).exp ?? 0;
    expect(await expectAll(token, (exp - 1) * 1000, 'accepted')).toEqual([]);
    expect(await expectAll(token, exp * 1000, /^rejected \(ERR_JWT_EXPIRED\)$/u)).toEqual([]);
    expect(await expectAll(token, (exp + 1) * 1000, /^rejected \(ERR_JWT_EXPIRED\)$/u)).toEqual([]);
  });

  it('rejects a token that is not yet valid: issued in the future (even by 1 s), or with nbf in the future', async () => {
    // The server itself, its clock 60 s ahead of the verifier's.
    const ahead = await issue(t0 + 60_000);
    expect(await expectAll(ahead, t0, /^rejected \(ERR_JWT_CLAIM_VALIDATION_FAILED\)$/u)).toEqual([]);
    // Signed with the server's key: iat one second ahead; nbf ten seconds ahead.
    const now = Math.floor(t0 / 1000);
    const base = { iss: issuer, sub: demoProduct.username, role: 'role_product', jti: crypto.randomUUID() };
    const oneSecondAhead = await forge({ ...base, iat: now + 1, exp: now + 31 }, serverKey.privateKey);
    expect(await expectAll(oneSecondAhead, t0, /^rejected \(ERR_JWT_CLAIM_VALIDATION_FAILED\)$/u)).toEqual([]);
    expect(await expectAll(oneSecondAhead, (now + 1) * 1000, 'accepted')).toEqual([]);
    const notBefore = await forge({ ...base, iat: now, nbf: now + 10, exp: now + 30 }, serverKey.privateKey);
    expect(await expectAll(notBefore, t0, /^rejected \(ERR_JWT_CLAIM_VALIDATION_FAILED\)$/u)).toEqual([]);
  });

  it('rejects a token of the server’s key that claims to live longer than 30 s, once 30 s have passed', async () => {
    const now = Math.floor(t0 / 1000);
    const long = await forge(
      {
        iss: issuer,
        sub: demoProduct.username,
        role: 'role_product',
        jti: crypto.randomUUID(),
        iat: now,
        exp: now + 3_600,
      },
      serverKey.privateKey,
    );
    expect(await expectAll(long, (now + 29) * 1000, 'accepted')).toEqual([]);
    expect(await expectAll(long, (now + 31) * 1000, /^rejected \(ERR_JWT_EXPIRED\)$/u)).toEqual([]);
  });

  it('rejects the server’s key used with another issuer, without a jti, without typ', async () => {
    const now = Math.floor(t0 / 1000);
    const base = {
      iss: issuer,
      sub: demoProduct.username,
      role: 'role_product',
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + 30,
    };
    expect(await expectAll(await forge({ ...base, iss: 'urn:evil' }, serverKey.privateKey), t0, rejected)).toEqual([]);
    const { jti: _jti, ...withoutJti } = base;
    expect(await expectAll(await forge(withoutJti, serverKey.privateKey), t0, rejected)).toEqual([]);
    const untyped = await new SignJWT(base).setProtectedHeader({ alg: 'ES256', kid }).sign(serverKey.privateKey);
    expect(await expectAll(untyped, t0, rejected)).toEqual([]);
    // The control: the same claims, correctly signed and typed, are accepted.
    expect(await expectAll(await forge(base, serverKey.privateKey), t0, 'accepted')).toEqual([]);
  });
});
