#!/usr/bin/env node
// The README's main job ends here: start the reference auth server on a free loopback
// port, log in with the built SDK as the demo partner product and as the demo 2FA Client,
// verify each token with the server's published keys and print its claims (never the
// token), then show how a refused login surfaces. LUMMINARY_BASE_URL logs in elsewhere
// instead (with LUMMINARY_USERNAME, LUMMINARY_PASSWORD, LUMMINARY_ROLE, LUMMINARY_TOTP_SECRET).
import { AuthError, createAuthClient } from '@lumminary/auth-sdk';
import { totpCodeSource } from '@lumminary/auth-sdk/totp';
import { demoCredentials, startAuthServer, verifyAccessToken } from '@lumminary/auth-server';

/** The demo accounts of the reference server (packages/server/README.md). */
const { product: demoProduct, client: demoClientWithSecret } = demoCredentials;
const { totpSecret: demoClientTotpSecret, ...demoClient } = demoClientWithSecret;

/** Decodes a JWT's payload for display (used only where no key is at hand to verify it). */
function decodeClaims(token) {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    return '(not a decodable JWT)';
  }
}

async function attempt(label, login, verify) {
  try {
    const { accessToken } = await login();
    const claims = verify ? await verify(accessToken) : decodeClaims(accessToken);
    console.log(
      `✔ ${label}: received a JWT (${accessToken.length} characters), ${verify ? 'signature verified' : 'not verified'}`,
    );
    console.log(`  claims: ${JSON.stringify(claims)}`);
    if (typeof claims?.exp === 'number') console.log(`  valid for ${claims.exp - claims.iat} s after issue`);
    return true;
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    const status = 'status' in error ? ` (HTTP ${error.status}${error.code ? `, ${error.code}` : ''})` : '';
    console.log(`✘ ${label}: ${error.name}${status}: ${error.message}`);
    return false;
  }
}

const codeNow = (secret) => totpCodeSource(secret)({ now: Date.now(), signal: undefined });

if (process.env.LUMMINARY_BASE_URL) {
  const auth = createAuthClient({ baseUrl: process.env.LUMMINARY_BASE_URL });
  const secret = process.env.LUMMINARY_TOTP_SECRET;
  const input = {
    username: process.env.LUMMINARY_USERNAME ?? '',
    password: process.env.LUMMINARY_PASSWORD ?? '',
    role: process.env.LUMMINARY_ROLE ?? 'role_product',
    ...(secret ? { twoFactorToken: await codeNow(secret) } : {}),
  };
  const ok = await attempt(`Log in as ${input.username} at ${process.env.LUMMINARY_BASE_URL}`, () =>
    auth.postJwtAuth(input),
  );
  process.exitCode = ok ? 0 : 1;
} else {
  const server = await startAuthServer({ quiet: true });
  try {
    console.log(`Started the reference auth server at ${server.url} (demo accounts: packages/server/README.md)`);
    const auth = createAuthClient({ baseUrl: server.url });
    const jwks = await (await fetch(`${server.url}/.well-known/jwks.json`)).json();
    const verify = (token) => verifyAccessToken(token, { jwks });
    const results = [
      await attempt('Partner product logs in with its API key', () => auth.postJwtAuth(demoProduct), verify),
      await attempt(
        'Client with 2FA logs in with a fresh TOTP code',
        async () => auth.postJwtAuth({ ...demoClient, twoFactorToken: await codeNow(demoClientTotpSecret) }),
        verify,
      ),
    ];
    await attempt('The same Client without a 2FA code', () => auth.postJwtAuth(demoClient));
    await attempt('A wrong API key', () => auth.postJwtAuth({ ...demoProduct, password: 'not the key' }));
    await attempt('A 2FA code that is not digits (refused before sending)', () =>
      auth.postJwtAuth({ ...demoClient, twoFactorToken: 'abc123' }),
    );
    process.exitCode = results.every(Boolean) ? 0 : 1;
  } finally {
    await server.close();
  }
}
