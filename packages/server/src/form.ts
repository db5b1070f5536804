import { jwtAuthFormFields } from '@lumminary/auth-sdk/spec';
import type { components } from '@lumminary/auth-sdk/spec';
import type { FormContentType } from './content-type.js';

/** The login form as the spec names it (generated type). */
export type JwtAuthForm = components['schemas']['JwtAuthForm'];

type FieldFacts = (typeof jwtAuthFormFields)[number];
type FieldName = FieldFacts['name'];
// Compile-time guard: the generated constraints and the generated form type name the same fields.
const everyFieldHasFacts: [Exclude<keyof JwtAuthForm, FieldName>] extends [never] ? true : never = true;
const everyFactIsAField: [Exclude<FieldName, keyof JwtAuthForm>] extends [never] ? true : never = true;
void everyFieldHasFacts;
void everyFactIsAField;

interface FieldRule {
  name: FieldName;
  required: boolean;
  minLength: number | undefined;
  maxLength: number | undefined;
  pattern: RegExp | undefined;
  patternSource: string | undefined;
}

/** The spec's form fields with their constraints, in spec order. */
export const formRules: readonly FieldRule[] = jwtAuthFormFields.map((facts: FieldFacts) => ({
  name: facts.name,
  required: facts.required,
  minLength: 'minLength' in facts ? facts.minLength : undefined,
  maxLength: 'maxLength' in facts ? facts.maxLength : undefined,
  pattern: 'pattern' in facts ? new RegExp(facts.pattern, 'u') : undefined,
  patternSource: 'pattern' in facts ? facts.pattern : undefined,
}));
const ruleByName = new Map<string, FieldRule>(formRules.map((rule) => [rule.name, rule]));

/** The rule of one spec field (e.g. to validate account files against the same `role` pattern). */
export function formRule(name: FieldName): FieldRule {
  const rule = ruleByName.get(name);
  if (rule === undefined) throw new Error(`The spec has no form field ${name}`);
  return rule;
}

/** A parsed body as hono's `parseBody({ all: true })` returns it. */
export type ParsedBody = Record<string, string | File | (string | File)[]>;

/** The outcome of checking a form: the form, or the problems by field name. */
export type FormCheck = { ok: true; form: JwtAuthForm } | { ok: false; errors: Record<string, string> };

/** The key under which problems with the body as a whole are reported. */
export const bodyErrorKey = 'body';
/**
 * Unknown field names are echoed only when they look like field names (never an arbitrary string) and
 * carry a value: a name without one (`…&lk_live_…&…`) is more likely a secret sent without its `password=`.
 */
const echoableName = /^[A-Za-z_][A-Za-z0-9_.[\]-]{0,63}$/u;
const maxReportedUnknownFields = 16;

function hasValue(raw: ParsedBody[string] | undefined): boolean {
  return [raw ?? []].flat().some((value) => typeof value !== 'string' || value !== '');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Problems with the raw bytes that the platform's lenient form parsers would silently repair (U+FFFD). */
export function checkRawEncoding(bytes: Uint8Array, contentType: FormContentType): string | undefined {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return 'The body is not valid UTF-8.';
  }
  if (contentType === 'application/x-www-form-urlencoded') {
    try {
      // Validation only (the platform parses): throws on a malformed %-escape or escapes that are not UTF-8.
      decodeURIComponent(text.replaceAll('+', ' '));
    } catch {
      return 'The body has a malformed percent-escape or percent-escapes that are not UTF-8.';
    }
  }
  return undefined;
}

function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length++;
  return length;
}

function checkValue(rule: FieldRule, value: string): string | undefined {
  if (value.includes('\0')) return 'Must not contain NUL characters.';
  const length = codePointLength(value);
  if (rule.minLength !== undefined && length < rule.minLength) {
    return rule.minLength === 1 ? 'Must not be empty.' : `Must be at least ${rule.minLength} characters.`;
  }
  if (rule.maxLength !== undefined && length > rule.maxLength) return `Must be at most ${rule.maxLength} characters.`;
  if (rule.pattern !== undefined && !rule.pattern.test(value)) return `Must match the pattern ${rule.patternSource}.`;
  return undefined;
}

/** Checks a parsed form against the spec's fields: presence, duplicates, files, NUL, length, pattern, unknown names. */
export function checkForm(body: ParsedBody): FormCheck {
  const errors: Record<string, string> = {};
  const form: Record<string, string> = {};
  for (const rule of formRules) {
    const raw = Object.hasOwn(body, rule.name) ? body[rule.name] : undefined;
    if (raw === undefined) {
      if (rule.required) errors[rule.name] = 'Missing required field.';
      continue;
    }
    if (Array.isArray(raw)) {
      errors[rule.name] = 'Duplicated field: send it once.';
      continue;
    }
    if (typeof raw !== 'string') {
      errors[rule.name] = 'Must be a plain form field, not a file.';
      continue;
    }
    const problem = checkValue(rule, raw);
    if (problem === undefined) form[rule.name] = raw;
    else errors[rule.name] = problem;
  }
  let unknown = 0;
  let unnamed = 0;
  for (const name of Object.keys(body)) {
    if (ruleByName.has(name)) continue;
    if (echoableName.test(name) && hasValue(body[name]) && unknown < maxReportedUnknownFields) {
      errors[name] = 'Unknown field.';
      unknown++;
    } else {
      unnamed++;
    }
  }
  if (unnamed > 0) {
    errors[bodyErrorKey] = `The body has ${unnamed === 1 ? 'a field' : `${unnamed} fields`} with an unexpected name.`;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, form: form as JwtAuthForm };
}
