/** What replaces a submitted secret found in anything the SDK passes on. */
export const redactedMarker = '[REDACTED]';

/** The forms a secret may be echoed back in: as is, percent-encoded (as in the form sent, or as in a URI), JSON-escaped. */
function echoForms(secret: string): string[] {
  const forms = [secret, new URLSearchParams([['', secret]]).toString().slice(1), JSON.stringify(secret).slice(1, -1)];
  try {
    forms.push(encodeURIComponent(secret));
  } catch {
    // An unpaired surrogate cannot be URI-encoded (and is never sent).
  }
  return forms;
}

/**
 * Replaces every occurrence of each non-empty secret in `text`, in any of the forms it may be echoed in.
 * `cut`: the text was cut short, so it may end with the start of a secret: its end is dropped too.
 */
export function redact(text: string, secrets: readonly string[], cut?: boolean): string {
  // Longest first, so that a secret inside another one cannot leave part of the longer one behind.
  const forms = [...new Set(secrets.filter((secret) => secret.length > 0).flatMap(echoForms))].sort(
    (a, b) => b.length - a.length,
  );
  let result = text;
  for (const form of forms) result = result.split(form).join(redactedMarker);
  // What is left of a secret at the end is shorter than the longest form.
  return cut && forms[0] ? result.slice(0, -forms[0].length) : result;
}

/** A copy of a JSON value with every string redacted (`cut`: see `redact`). */
export function redactDeep<T>(value: T, secrets: readonly string[], cut?: boolean): T {
  if (typeof value === 'string') return redact(value, secrets, cut) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [redact(key, secrets), redactDeep(item, secrets)]),
    ) as T;
  }
  return value;
}
