import { describe, expect, it } from 'vitest';
import { totpCodeSource } from './totp.js';

/** RFC 6238 appendix B: the SHA1 seed is the ASCII string "12345678901234567890". */
const rfcSecretAscii = '12345678901234567890';
const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

/** RFC 6238 appendix B, SHA1 rows used here: time in seconds → 8-digit TOTP. */
const rfcVectors: [seconds: number, code: string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1234567890, '89005924'],
];

function codeAt(source: ReturnType<typeof totpCodeSource>, ms: number): string {
  return source({ now: ms });
}

describe('totpCodeSource', () => {
  it('the base32 secret of the RFC seed is the one the vectors use', () => {
    // Guards the fixture itself: base32 of the ASCII seed.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let bits = '';
    for (const byte of Buffer.from(rfcSecretAscii, 'ascii')) bits += byte.toString(2).padStart(8, '0');
    let base32 = '';
    for (let i = 0; i < bits.length; i += 5)
      base32 += alphabet[Number.parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
    expect(base32).toBe(rfcSecret);
  });

  it.each(rfcVectors)('RFC 6238 appendix B (SHA1, 8 digits): T=%i s → %s', async (seconds, expected) => {
    const source = totpCodeSource(rfcSecret, { digits: 8 });
    expect(await codeAt(source, seconds * 1000)).toBe(expected);
  });

  it.each(rfcVectors)('default 6 digits are the last 6 of the 8-digit vector: T=%i s', async (seconds, expected) => {
    // HOTP truncation is `bin mod 10^digits`, so the 6-digit code is the 8-digit one's suffix.
    expect(await codeAt(totpCodeSource(rfcSecret), seconds * 1000)).toBe(expected.slice(-6));
  });

  it('uses the session clock time it is given, with a 30 s step by default', async () => {
    const source = totpCodeSource(rfcSecret, { digits: 8 });
    // T=59 s is the last second of step 1 (30..59 s); 30 s and 59.999 s share its code, 60 s does not.
    expect(await codeAt(source, 30_000)).toBe('94287082');
    expect(await codeAt(source, 59_999)).toBe('94287082');
    expect(await codeAt(source, 60_000)).not.toBe('94287082');
  });

  it('tolerates whitespace and lowercase in the secret', async () => {
    const variants = [
      rfcSecret.toLowerCase(),
      'gezd gnbv gy3t qojq gezd gnbv gy3t qojq',
      ' GEZDGNBV\tGY3TQOJQ\nGEZDGNBVGY3TQOJQ ',
      'GezdGnbvGy3tQojqGezdGnbvGy3tQojq',
    ];
    for (const variant of variants) {
      const source = totpCodeSource(variant, { digits: 8 });
      for (const [seconds, expected] of rfcVectors) expect(await codeAt(source, seconds * 1000)).toBe(expected);
    }
  });

  it.each([
    ['a digit outside the base32 alphabet (1)', 'GEZDGNBVGY3TQOJ1'],
    ['a digit outside the base32 alphabet (0, 8, 9)', '0890'],
    ['punctuation', 'GEZD-GNBV'],
    ['a non-ASCII letter', 'GEZDGNBVÄ'],
  ])('rejects an invalid base32 secret with a TypeError: %s', (_label, secret) => {
    expect(() => totpCodeSource(secret)).toThrow(TypeError);
    expect(() => totpCodeSource(secret)).toThrow(/not valid base32/u);
  });

  it('rejects an empty secret (or only whitespace) with a TypeError', () => {
    expect(() => totpCodeSource('')).toThrow(TypeError);
    expect(() => totpCodeSource('   ')).toThrow(TypeError);
  });

  it('the TypeError for an invalid secret does not quote the secret', () => {
    const secret = 'MY SECRET IS 0000 HUNTER';
    let caught: unknown;
    try {
      totpCodeSource(secret);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TypeError);
    expect(String(caught)).not.toContain('HUNTER');
    expect(String(caught)).not.toContain('0');
  });
});
