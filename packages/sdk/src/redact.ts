/** What replaces a submitted secret found in anything the SDK passes on. */
export const redactedMarker = '[REDACTED]';

/** Replaces every occurrence of each non-empty secret in `text`. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length > 0 && result.includes(secret)) result = result.split(secret).join(redactedMarker);
  }
  return result;
}

/** A copy of a JSON value with every string redacted. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [redact(key, secrets), redactDeep(item, secrets)]),
    ) as T;
  }
  return value;
}
