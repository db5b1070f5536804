import { jwtAuthContentTypes } from '@lumminary/auth-sdk/spec';

/** One of the request content types the spec accepts. */
export type FormContentType = (typeof jwtAuthContentTypes)[number];

/** Charsets that mean UTF-8 for our purpose (US-ASCII is a subset). */
const utf8Charsets = new Set(['utf-8', 'utf8', 'us-ascii']);

/** The accepted media type of a `Content-Type` header, or `undefined` when it is missing, another type, or names a charset other than UTF-8. */
export function formContentType(header: string | null | undefined): FormContentType | undefined {
  if (header === null || header === undefined) return undefined;
  const [essence = '', ...parameters] = header.split(';');
  const mediaType = essence.trim().toLowerCase();
  const accepted = jwtAuthContentTypes.find((type) => type === mediaType);
  if (accepted === undefined) return undefined;
  for (const parameter of parameters) {
    const separator = parameter.indexOf('=');
    if (separator === -1) continue;
    if (parameter.slice(0, separator).trim().toLowerCase() !== 'charset') continue;
    const charset = parameter
      .slice(separator + 1)
      .trim()
      .replace(/^"(.*)"$/su, '$1')
      .toLowerCase();
    if (!utf8Charsets.has(charset)) return undefined;
  }
  return accepted;
}
