import { AuthInputError } from './errors.js';
import type { components } from './generated/openapi.js';
import { jwtAuthFormFields, xFieldsHeader } from './generated/jwt-auth-operation.js';

/** The login form as the wire names it (generated from the spec). */
export type JwtAuthForm = components['schemas']['JwtAuthForm'];

/** A role to authenticate for; the documented value is `role_product`. */
export type Role = 'role_product' | (string & {});

/** What a login needs, with readable names; mapped to the spec's wire names when sent. */
export interface LoginInput {
  /** A Client's email, or a partner product's id (a UUID). Sent as `username`. */
  username: JwtAuthForm['username'];
  /** A Client's password, or a partner product's API key. Sent as `password`; never in errors or logs. */
  password: JwtAuthForm['password'];
  /** The role to authenticate for; the documented value is `role_product`. Sent as `role`. */
  role: Role;
  /** The fresh one-time 2FA code, as a string of digits (it may start with 0). Sent as `2FA-token`. */
  twoFactorToken?: JwtAuthForm['2FA-token'] | undefined;
  /** A fields mask limiting the response, e.g. `{access_token}`. Sent as the `X-Fields` header. */
  fields?: string | undefined;
}

/** The readable name of each form field; `satisfies` keeps it in step with the generated form type. */
export const wireNames = {
  username: 'username',
  password: 'password',
  role: 'role',
  twoFactorToken: '2FA-token',
} as const satisfies { [K in Exclude<keyof LoginInput, 'fields'>]-?: keyof JwtAuthForm };

type FormOption = keyof typeof wireNames;

interface FieldRule {
  option: FormOption | 'fields';
  wireName: string;
  required: boolean;
  minLength: number | undefined;
  maxLength: number | undefined;
  pattern: RegExp | undefined;
  patternHint: string;
}

const optionByWireName = new Map<string, FormOption>(
  Object.entries(wireNames).map(([option, wire]) => [wire, option as FormOption]),
);

function rule(
  option: FieldRule['option'],
  facts: { name: string; required?: boolean; minLength?: number; maxLength?: number; pattern?: string },
): FieldRule {
  return {
    option,
    wireName: facts.name,
    required: facts.required ?? false,
    minLength: facts.minLength,
    maxLength: facts.maxLength,
    pattern: facts.pattern === undefined ? undefined : new RegExp(facts.pattern, 'u'),
    patternHint: facts.pattern === undefined ? '' : describePattern(option, facts.pattern),
  };
}

/** The spec's form fields, in the spec's (and the original SDK's) order, with their rules. */
const formRules: readonly FieldRule[] = jwtAuthFormFields.map((facts) =>
  // biome-ignore lint/style/noNonNullAssertion: every wire name has an option, since `wireNames` satisfies the generated form type (login-input.test-d.ts).
  rule(optionByWireName.get(facts.name)!, facts),
);
const fieldsRule = rule('fields', xFieldsHeader);

function describePattern(option: FieldRule['option'], pattern: string): string {
  if (option === 'twoFactorToken') {
    const digits = /\{(\d+),(\d+)\}/u.exec(pattern);
    return digits ? `must be ${digits[1]} to ${digits[2]} digits` : 'must be digits';
  }
  return `must match ${pattern}`;
}

function check(value: unknown, fieldRule: FieldRule): string | undefined {
  const { option, required } = fieldRule;
  if (value === undefined) {
    if (required) throw new AuthInputError(option, 'is required');
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new AuthInputError(option, option === 'twoFactorToken' ? 'must be a string of digits' : 'must be a string');
  }
  const { minLength, maxLength } = fieldRule;
  // JSON Schema counts code points; value.length (UTF-16 units) bounds that count from above, and from below by half.
  if (minLength !== undefined && value.length < minLength * 2 && [...value].length < minLength) {
    throw new AuthInputError(
      option,
      minLength === 1 ? 'must not be empty' : `must be at least ${minLength} characters`,
    );
  }
  if (maxLength !== undefined && value.length > maxLength && [...value].length > maxLength) {
    throw new AuthInputError(option, `must be at most ${maxLength} characters`);
  }
  if (!value.isWellFormed()) {
    throw new AuthInputError(option, 'contains unpaired UTF-16 surrogates (not valid Unicode)');
  }
  if (fieldRule.pattern !== undefined && !fieldRule.pattern.test(value)) {
    throw new AuthInputError(option, fieldRule.patternHint);
  }
  return value;
}

/** The checked request of a login: the form in wire order and the optional `X-Fields` header. */
export interface LoginRequestParts {
  /** The form's entries in the spec's order, optional ones omitted when not given. */
  entries: [string, string][];
  xFields: string | undefined;
  /** The submitted secrets, so that anything echoed back can be redacted. */
  secrets: string[];
}

/**
 * Checks a login input against the spec's constraints and maps it to wire names.
 * Throws `AuthInputError` (naming the option, never its value) on the first problem.
 */
export function toLoginRequest(input: LoginInput): LoginRequestParts {
  if (typeof input !== 'object' || input === null) {
    throw new AuthInputError('input', 'must be an object with username, password and role');
  }
  const entries: [string, string][] = [];
  for (const fieldRule of formRules) {
    const value = check(input[fieldRule.option as FormOption], fieldRule);
    if (value !== undefined) entries.push([fieldRule.wireName, value]);
  }
  const xFields = check(input.fields, fieldsRule);
  const secrets = [input.password];
  if (input.twoFactorToken !== undefined) secrets.push(input.twoFactorToken);
  return { entries, xFields, secrets };
}

/**
 * What multipart/form-data does not carry unchanged: a CR or LF outside a CRLF pair (rewritten to
 * CRLF by newline normalization) and a leading U+FEFF (dropped by receivers' UTF-8 decoding).
 */
const multipartChanges = /\r(?!\n)|(?<!\r)\n|^\uFEFF/u;

/**
 * Refuses the values that multipart/form-data would not send unchanged.
 * Throws `AuthInputError` (naming the option, never its value).
 */
export function checkMultipart(entries: LoginRequestParts['entries']): void {
  for (const [wireName, value] of entries) {
    if (multipartChanges.test(value)) {
      throw new AuthInputError(
        optionByWireName.get(wireName) ?? wireName,
        "has a bare CR/LF or leading U+FEFF, which multipart changes; use encoding 'form'",
      );
    }
  }
}
