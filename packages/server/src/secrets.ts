import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** A secret (password or API key) stored as an scrypt hash, with everything needed to check it. */
export interface SecretHash {
  /** Always `scrypt`. */
  algorithm: 'scrypt';
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelization. */
  p: number;
  /** Random salt, base64url. */
  salt: string;
  /** The derived key, base64url; its length is the key length. */
  hash: string;
}

/** scrypt cost parameters. */
export interface ScryptParams {
  /** CPU/memory cost, a power of two from 2^10 to 2^20. Default 2^14 (16 MiB with r = 8). */
  N: number;
  /** Block size, 1 to 32. Default 8. */
  r: number;
  /** Parallelization, 1 to 16. Default 1. */
  p: number;
}

/** The default scrypt cost (Node's defaults; about 50 ms per check on a 2-core machine). */
export const defaultScryptParams: ScryptParams = { N: 2 ** 14, r: 8, p: 1 };

const saltBytes = 16;
const keyBytes = 32;

/** The bounds an accounts file's scrypt parameters must respect. */
export const scryptBounds = {
  minLog2N: 10,
  maxLog2N: 20,
  maxR: 32,
  maxP: 16,
  minSaltBytes: 16,
  minKeyBytes: 16,
  maxKeyBytes: 64,
  maxMemoryBytes: 256 * 1024 * 1024,
} as const;

function scryptOptions({ N, r, p }: ScryptParams): ScryptOptions {
  // scrypt needs 128·N·r bytes; leave headroom above Node's 32 MiB default.
  return { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
}

function derive(secret: string, salt: Buffer, length: number, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize('NFC'), salt, length, scryptOptions(params), (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

/** Problems with scrypt parameters, or undefined when they are within bounds. */
export function scryptParamsProblem({ N, r, p }: ScryptParams): string | undefined {
  const log2N = Math.log2(N);
  if (
    !Number.isInteger(N) ||
    !Number.isInteger(log2N) ||
    log2N < scryptBounds.minLog2N ||
    log2N > scryptBounds.maxLog2N
  ) {
    return `N must be a power of two from 2^${scryptBounds.minLog2N} to 2^${scryptBounds.maxLog2N}`;
  }
  if (!Number.isInteger(r) || r < 1 || r > scryptBounds.maxR)
    return `r must be an integer from 1 to ${scryptBounds.maxR}`;
  if (!Number.isInteger(p) || p < 1 || p > scryptBounds.maxP)
    return `p must be an integer from 1 to ${scryptBounds.maxP}`;
  if (128 * N * r > scryptBounds.maxMemoryBytes) return 'N·r needs more than 256 MiB of memory';
  return undefined;
}

/** Hashes a secret with scrypt and a fresh random salt, for an accounts file. */
export async function hashSecret(secret: string, params: ScryptParams = defaultScryptParams): Promise<SecretHash> {
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('The secret must be a non-empty string');
  const problem = scryptParamsProblem(params);
  if (problem !== undefined) throw new RangeError(problem);
  const salt = randomBytes(saltBytes);
  const hash = await derive(secret, salt, keyBytes, params);
  return {
    algorithm: 'scrypt',
    N: params.N,
    r: params.r,
    p: params.p,
    salt: salt.toString('base64url'),
    hash: hash.toString('base64url'),
  };
}

/** Checks a secret against its stored hash in constant time (for equal-length hashes). */
export async function verifySecret(secret: string, stored: SecretHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64url');
  const actual = await derive(secret, Buffer.from(stored.salt, 'base64url'), expected.length, stored);
  return timingSafeEqual(actual, expected);
}

/** A hash no secret matches (random salt and key), checked for unknown usernames so that they cost the same time. */
export function dummySecretHash(params: ScryptParams = defaultScryptParams): SecretHash {
  return {
    algorithm: 'scrypt',
    ...params,
    salt: randomBytes(saltBytes).toString('base64url'),
    hash: randomBytes(keyBytes).toString('base64url'),
  };
}
