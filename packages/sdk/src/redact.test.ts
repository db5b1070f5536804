import { describe, expect, it } from 'vitest';
import { redact, redactDeep, redactedMarker } from './redact.js';

describe('redact', () => {
  it('replaces every occurrence of every secret', () => {
    expect(redact('pw=hunter2; again hunter2; otp 042917', ['hunter2', '042917'])).toBe(
      'pw=[REDACTED]; again [REDACTED]; otp [REDACTED]',
    );
    expect(redactedMarker).toBe('[REDACTED]');
  });

  it('leaves text without secrets, and ignores empty secrets', () => {
    expect(redact('nothing to hide', ['hunter2'])).toBe('nothing to hide');
    expect(redact('abc', [''])).toBe('abc');
    expect(redact('abc', [])).toBe('abc');
    expect(redact('', ['hunter2'])).toBe('');
  });

  it('treats secrets literally, not as patterns', () => {
    expect(redact('a.c abc a+c', ['a.c'])).toBe('[REDACTED] abc a+c');
    expect(redact('$& $1 $$', ['$&'])).toBe('[REDACTED] $1 $$');
  });

  it('does not keep part of a longer secret when a shorter one is inside it', () => {
    // Whatever the order the secrets come in.
    expect(redact('code 90817263', ['0817', '90817263'])).toBe('code [REDACTED]');
    expect(redact('code 90817263', ['90817263', '0817'])).toBe('code [REDACTED]');
  });

  it('also replaces the secret percent-encoded as sent in a form, or URI-encoded, or JSON-escaped', () => {
    const secret = 'p a&s=s+w"o\\rd%😀';
    const echoes = [
      new URLSearchParams([['password', secret]]).toString(),
      `password=${encodeURIComponent(secret)}`,
      `{"password":${JSON.stringify(secret)}}`,
    ];
    expect(echoes.map((text) => redact(text, [secret]))).toEqual([
      'password=[REDACTED]',
      'password=[REDACTED]',
      '{"password":"[REDACTED]"}',
    ]);
  });

  it('copes with a secret holding an unpaired surrogate', () => {
    expect(redact('x\uD800y', ['\uD800'])).toBe('x[REDACTED]y');
  });
});

describe('redactDeep', () => {
  it('redacts every string of a JSON value, keys included, without changing the input', () => {
    const value = {
      code: 'invalid_request',
      message: 'bad hunter2',
      count: 2,
      ok: false,
      none: null,
      errors: { password: 'hunter2 is wrong', hunter2: 'key' },
      list: ['hunter2', 1, ['nested hunter2']],
    };
    const copy = structuredClone(value);
    expect(redactDeep(value, ['hunter2'])).toEqual({
      code: 'invalid_request',
      message: 'bad [REDACTED]',
      count: 2,
      ok: false,
      none: null,
      errors: { password: '[REDACTED] is wrong', '[REDACTED]': 'key' },
      list: ['[REDACTED]', 1, ['nested [REDACTED]']],
    });
    expect(value).toEqual(copy);
  });

  it('handles primitives', () => {
    expect(redactDeep('hunter2', ['hunter2'])).toBe('[REDACTED]');
    expect(redactDeep(7, ['7'])).toBe(7);
    expect(redactDeep(null, ['hunter2'])).toBeNull();
    expect(redactDeep(undefined, ['hunter2'])).toBeUndefined();
  });
});
