/** What `token --json` prints. */
export interface TokenJson {
  access_token: string;
  /** The JWT's payload, decoded but NOT verified; null when the token is not a JWT with a JSON object payload. */
  claims: Record<string, unknown> | null;
  /** `exp` as an ISO 8601 time; null without a numeric `exp`. */
  expires_at: string | null;
  /** Whole seconds from `nowMs` to `exp` (negative when already expired by the local clock); null without `exp`. */
  expires_in_seconds: number | null;
}

/** Decodes a JWT's payload without verifying it; undefined when it is not one. */
export function decodeClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  const payload = parts[1];
  if (parts.length !== 3 || payload === undefined || !/^[A-Za-z0-9_-]+$/u.test(payload)) return undefined;
  try {
    const value: unknown = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(payload, 'base64url')),
    );
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The `--json` output for a token received at `nowMs`. */
export function tokenJson(accessToken: string, nowMs: number): TokenJson {
  const claims = decodeClaims(accessToken);
  const exp = claims?.exp;
  const expMs = typeof exp === 'number' ? exp * 1000 : Number.NaN;
  // new Date() represents at most ±8.64e15 ms; outside that toISOString throws.
  const known = Number.isFinite(expMs) && Math.abs(expMs) <= 8.64e15;
  return {
    access_token: accessToken,
    claims: claims ?? null,
    expires_at: known ? new Date(expMs).toISOString() : null,
    expires_in_seconds: known ? Math.floor((expMs - nowMs) / 1000) : null,
  };
}
