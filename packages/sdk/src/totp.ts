import { Secret, TOTP } from 'otpauth';
import type { TwoFactorCodeRequest } from './session.js';

/** Options of `totpCodeSource`. */
export interface TotpOptions {
  /** Code length. Default: 6. */
  digits?: number | undefined;
  /** Step length in seconds. Default: 30. */
  period?: number | undefined;
  /** HMAC algorithm. Default: SHA1 (what authenticator apps use). */
  algorithm?: 'SHA1' | 'SHA256' | 'SHA512' | undefined;
}

/**
 * A 2FA code source that computes RFC 6238 codes from a base32 TOTP secret (the one in the
 * account's `otpauth://` URI) at the session clock's time, with the `otpauth` library.
 */
export function totpCodeSource(
  base32Secret: string,
  options: TotpOptions = {},
): (request: TwoFactorCodeRequest) => string {
  let secret: Secret;
  try {
    secret = Secret.fromBase32(base32Secret.replace(/\s+/gu, '').toUpperCase());
  } catch {
    throw new TypeError('the TOTP secret is not valid base32');
  }
  if (secret.bytes.length === 0) throw new TypeError('the TOTP secret is empty');
  const totp = new TOTP({
    secret,
    digits: options.digits ?? 6,
    period: options.period ?? 30,
    algorithm: options.algorithm ?? 'SHA1',
  });
  return ({ now }) => totp.generate({ timestamp: now });
}
