// Looks for secrets in what the server wrote: log lines, console output, response bodies and headers.
// A secret is looked for as sent and in the encodings it could be repeated in (percent-encoded,
// form-encoded, JSON-escaped, base64). Findings name the secret and the place, never the secret itself.
import { vi } from 'vitest';

/** A secret the battery submitted or received, under a name that is safe to print. */
export interface Secret {
  name: string;
  value: string;
}

/** Something the server wrote, and where. */
export interface Written {
  where: string;
  text: string;
}

/** The ways `value` could show up in text: as is, percent-encoded, form-encoded, JSON-escaped, base64. */
export function secretForms(value: string): string[] {
  const forms = [
    value,
    encodeURIComponent(value),
    new URLSearchParams([['x', value]]).toString().slice(2),
    JSON.stringify(value).slice(1, -1),
    Buffer.from(value, 'utf8').toString('base64'),
    Buffer.from(value, 'utf8').toString('base64url'),
  ];
  return [...new Set(forms)];
}

/** Each place a secret (in any of its forms) appears, as `secret NAME in WHERE`; empty when none. */
export function findLeaks(written: readonly Written[], secrets: readonly Secret[]): string[] {
  const leaks: string[] = [];
  for (const secret of secrets) {
    const forms = secretForms(secret.value);
    for (const { where, text } of written) {
      if (forms.some((form) => text.includes(form))) leaks.push(`secret ${secret.name} in ${where}`);
    }
  }
  return leaks;
}

/**
 * Captures everything written to the console and to stdout/stderr while installed (console calls are
 * swallowed, stream writes still go through). `restore()` puts the originals back.
 */
export function captureConsole(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const spies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) =>
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((arg) => (typeof arg === 'string' ? arg : (JSON.stringify(arg) ?? String(arg)))).join(' '));
    }),
  );
  const streams = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write.bind(stream);
    const spy = vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
    return spy;
  });
  return {
    lines,
    restore: () => {
      for (const spy of [...spies, ...streams]) spy.mockRestore();
    },
  };
}
