#!/usr/bin/env node
// The README's main job ends here: log in with the built SDK and print the outcome.
// Against a local Prism mock of the spec (started and stopped here), or against
// LUMMINARY_BASE_URL when it is set (with LUMMINARY_USERNAME, LUMMINARY_PASSWORD, LUMMINARY_ROLE).
import { AuthError, createAuthClient } from '@lumminary/auth-sdk';
import { startPrism } from './lib/prism.mjs';

/** The claims of a JWT, decoded for display only (not verified; the token itself is never printed). */
function claimsOf(token) {
  const payload = token.split('.')[1];
  try {
    return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
  } catch {
    return '(not a decodable JWT)';
  }
}

async function attempt(label, run) {
  try {
    const { accessToken } = await run();
    console.log(`✔ ${label}: received a JWT (${accessToken.length} characters)`);
    const claims = claimsOf(accessToken);
    console.log('  claims:', claims);
    if (typeof claims?.exp === 'number' && typeof claims?.iat === 'number') {
      console.log(`  valid for ${claims.exp - claims.iat} s after issue`);
    }
    return true;
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    const details = 'status' in error ? ` (HTTP ${error.status}${error.code ? `, ${error.code}` : ''})` : '';
    console.log(`✘ ${label}: ${error.name}${details}: ${error.message}`);
    return false;
  }
}

const overrideUrl = process.env.LUMMINARY_BASE_URL;
let prism;
try {
  let baseUrl = overrideUrl;
  if (!baseUrl) {
    prism = await startPrism({ mode: 'mock' });
    baseUrl = prism.url;
    console.log(`Started a Prism mock of the spec at ${baseUrl}`);
  }
  const auth = createAuthClient({ baseUrl });
  const credentials = overrideUrl
    ? {
        username: process.env.LUMMINARY_USERNAME ?? '',
        password: process.env.LUMMINARY_PASSWORD ?? '',
        role: process.env.LUMMINARY_ROLE ?? 'role_product',
      }
    : { username: '3f8e2c1a-9b7d-4e5f-8a6b-2c4d6e8f0a1b', password: 'lk_live_9Qm2Xv7TzR4pN8sB3wY6cD1fH5jK0aLe', role: 'role_product' };

  const ok = await attempt(`Log in as ${credentials.username} (${credentials.role})`, () => auth.postJwtAuth(credentials));
  if (!overrideUrl) {
    // The mock answers with any declared status on request; show how errors surface.
    const mockErrors = createAuthClient({ baseUrl, headers: { Prefer: 'code=401' } });
    await attempt('Log in with a wrong password (mock asked for its 401)', () =>
      mockErrors.postJwtAuth({ ...credentials, password: 'wrong password' }),
    );
  }
  await attempt('Log in with a 2FA code that is not digits', () =>
    auth.postJwtAuth({ ...credentials, twoFactorToken: 'abc123' }),
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  await prism?.stop();
}
