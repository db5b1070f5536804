import { Secret, TOTP } from 'otpauth';

/** The TOTP parameters the server uses (RFC 6238 defaults, what authenticator apps expect). */
export const totpParams = { algorithm: 'SHA1', digits: 6, period: 30, window: 1 } as const;

/** Default issuer shown by authenticator apps for codes of this server. */
export const defaultTotpIssuer = 'Lumminary (reference server)';

const minSecretBytes = 16;

/** A TOTP generator/validator for a base32 secret. Throws `RangeError` for a secret that is not base32 of at least 128 bits. */
export function createTotp(secretBase32: string, label = 'account', issuer = defaultTotpIssuer): TOTP {
  let secret: Secret;
  try {
    secret = Secret.fromBase32(secretBase32);
  } catch {
    throw new RangeError('The TOTP secret is not valid base32');
  }
  if (secret.bytes.length < minSecretBytes)
    throw new RangeError(`The TOTP secret must hold at least ${minSecretBytes} bytes`);
  return new TOTP({
    issuer,
    label,
    secret,
    algorithm: totpParams.algorithm,
    digits: totpParams.digits,
    period: totpParams.period,
  });
}

/** A new random TOTP secret (160 bits, base32) and its `otpauth://` URI for an authenticator app. */
export function createTotpSecret(label: string, issuer = defaultTotpIssuer): { secret: string; uri: string } {
  const totp = new TOTP({
    issuer,
    label,
    secret: new Secret({ size: 20 }),
    algorithm: totpParams.algorithm,
    digits: totpParams.digits,
    period: totpParams.period,
  });
  return { secret: totp.secret.base32, uri: totp.toString() };
}

/**
 * Verifies TOTP codes and refuses replays: per account, only a step later than the last accepted one
 * is accepted (RFC 6238, section 5.2), so each code works at most once.
 * `verifyAndConsume` is synchronous: checking the code and recording its step cannot interleave
 * with another request, so two requests racing with the same code get exactly one success.
 */
export class TotpVerifier {
  readonly #lastAcceptedStep = new Map<string, number>();

  /** Accepts `code` for `accountId` at `nowMs` (±1 step) if its step was not used; records the step. */
  verifyAndConsume(accountId: string, totp: TOTP, code: string | undefined, nowMs: number): boolean {
    if (code === undefined) return false;
    const delta = totp.validate({ token: code, timestamp: nowMs, window: totpParams.window });
    if (delta === null) return false;
    const step = totp.counter({ timestamp: nowMs }) + delta;
    const last = this.#lastAcceptedStep.get(accountId);
    if (last !== undefined && step <= last) return false;
    this.#lastAcceptedStep.set(accountId, step);
    return true;
  }
}
