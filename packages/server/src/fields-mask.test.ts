import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formContentType } from './content-type.js';
import { applyFieldsMask, parseFieldsMask, readFieldsMask } from './fields-mask.js';

describe('parseFieldsMask (Flask-RESTPlus syntax, strict)', () => {
  it.each<[string, unknown]>([
    ['access_token', { access_token: true }],
    ['{access_token}', { access_token: true }],
    ['a,b', { a: true, b: true }],
    ['{a, b{c, d{e}}, *}', { a: true, b: { c: true, d: { e: true } }, '*': true }],
    ['  { a }  ', { a: true }],
  ])('parses %j', (text, mask) => {
    expect(parseFieldsMask(text)).toEqual(mask);
  });

  it.each(['', '{}', '{a', 'a}', 'a b', 'a,', ',a', 'a,,b', 'a{}', '{a}{b}', 'a{b', 'a}{', 'a{b}c', '{', '}'])(
    'rejects %j',
    (text) => {
      expect(() => parseFieldsMask(text)).toThrow(SyntaxError);
    },
  );
});

describe('applyFieldsMask', () => {
  const body = { access_token: 't', other: 'o' };
  it('keeps the selected fields, all with *, skips unknown names, keeps everything without a mask', () => {
    expect(applyFieldsMask(body, { access_token: true, unknown: true })).toEqual({ access_token: 't' });
    expect(applyFieldsMask(body, { '*': true })).toEqual(body);
    expect(applyFieldsMask(body, undefined)).toEqual(body);
    expect(applyFieldsMask(body, { unknown: true })).toEqual({});
  });
  it('refuses a nested mask on a string field', () => {
    expect(() => applyFieldsMask(body, { access_token: { x: true } })).toThrow(RangeError);
  });
});

describe('readFieldsMask', () => {
  it('never throws, whatever the header (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const result = readFieldsMask(text);
        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) expect(result.problem.length).toBeGreaterThan(0);
      }),
    );
  });
  it('accepts any nesting of valid names, commas and braces it can parse (property)', () => {
    const name = fc.stringMatching(/^[a-z_]{1,8}$/u);
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 5 }), fc.boolean(), (names, braces) => {
        const text = braces ? `{${names.join(', ')}}` : names.join(',');
        const result = readFieldsMask(text);
        expect(result).toEqual({ ok: true, mask: Object.fromEntries(names.map((each) => [each, true])) });
      }),
    );
  });
  it('treats an absent header as no mask', () => {
    expect(readFieldsMask(null)).toEqual({ ok: true, mask: undefined });
  });
});

describe('formContentType', () => {
  it.each<[string | null, string | undefined]>([
    ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
    ['application/x-www-form-urlencoded; charset=utf-8', 'application/x-www-form-urlencoded'],
    ['APPLICATION/X-WWW-FORM-URLENCODED ; Charset="UTF-8"', 'application/x-www-form-urlencoded'],
    ['multipart/form-data; boundary=abc', 'multipart/form-data'],
    ['multipart/form-data; charset=us-ascii; boundary=abc', 'multipart/form-data'],
    ['application/x-www-form-urlencoded; charset=latin1', undefined],
    ['application/json', undefined],
    ['multipart/mixed; boundary=abc', undefined],
    ['', undefined],
    [null, undefined],
  ])('%j → %j', (header, expected) => {
    expect(formContentType(header)).toBe(expected);
  });
});
