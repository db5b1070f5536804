/** Limits of the failed-login counters. */
export interface RateLimitOptions {
  /** Failed logins per account (by username, known or not) within the window before 429. Default 5. */
  accountFailures?: number | undefined;
  /** Failed logins per client address within the window before 429. Default 20. */
  addressFailures?: number | undefined;
  /** The sliding window, in milliseconds. Default 300 000 (5 minutes). */
  windowMs?: number | undefined;
  /** Most keys each counter tracks; the least recently failed are dropped first. Default 10 000. */
  maxTrackedKeys?: number | undefined;
}

/** The spec bounds `Retry-After` to 1..86400 seconds. */
const maxRetryAfterSeconds = 86_400;

/**
 * Counts failures per key in a sliding window. Memory is bounded: each key keeps at most `limit`
 * timestamps, and at most `maxKeys` keys are kept (expired ones pruned first, then the least recently failed).
 */
export class FailureCounter {
  // Map order = order of the most recent failure (a key is re-inserted on each failure).
  readonly #failures = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    readonly maxKeys: number,
  ) {
    for (const [name, value] of Object.entries({ limit, windowMs, maxKeys })) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
    }
  }

  /** Milliseconds until `key` may try again, or 0 when it may now. */
  blockedForMs(key: string, now: number): number {
    const times = this.#failures.get(key);
    if (times === undefined || times.length < this.limit) return 0;
    const oldest = times[0] ?? now;
    return Math.max(0, oldest + this.windowMs - now);
  }

  /** Records a failure of `key` at `now`. */
  recordFailure(key: string, now: number): void {
    const times = (this.#failures.get(key) ?? []).filter((time) => time > now - this.windowMs);
    times.push(now);
    if (times.length > this.limit) times.splice(0, times.length - this.limit);
    this.#failures.delete(key);
    this.#prune(now);
    this.#failures.set(key, times);
  }

  /** Forgets the failures of `key` (after a success). */
  reset(key: string): void {
    this.#failures.delete(key);
  }

  /** How many keys are tracked (for tests of the memory bound). */
  get size(): number {
    return this.#failures.size;
  }

  #prune(now: number): void {
    if (this.#failures.size < this.maxKeys) return;
    for (const [key, times] of this.#failures) {
      const expired = (times[times.length - 1] ?? 0) <= now - this.windowMs;
      if (!expired && this.#failures.size < this.maxKeys) break;
      this.#failures.delete(key);
    }
  }
}

/** Whole seconds for `Retry-After`, within the spec's 1..86400. */
export function retryAfterSeconds(ms: number): number {
  return Math.min(maxRetryAfterSeconds, Math.max(1, Math.ceil(ms / 1000)));
}
