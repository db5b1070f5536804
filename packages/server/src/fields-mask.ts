import { xFieldsHeader } from '@lumminary/auth-sdk/spec';

/** A parsed Flask-RESTPlus fields mask: each selected name, with its nested mask (or `true`). */
export interface FieldsMask {
  [name: string]: FieldsMask | true;
}

/** The outcome of reading an `X-Fields` header. */
export type MaskCheck = { ok: true; mask: FieldsMask | undefined } | { ok: false; problem: string };

const headerPattern = new RegExp(xFieldsHeader.pattern, 'u');
const token = /\s*(?:([{},])|([A-Za-z0-9_*]+))\s*/uy;

/**
 * Parses a mask the way Flask-RESTPlus does (`a,b{c}`, optionally wrapped in braces, `*` for all),
 * but strictly: adjacent names without a comma, empty entries and unbalanced braces are errors.
 */
export function parseFieldsMask(text: string): FieldsMask {
  let source = text.trim();
  if (source.startsWith('{')) {
    if (!source.endsWith('}')) throw new SyntaxError('Missing closing brace.');
    source = source.slice(1, -1);
  }
  const root: FieldsMask = {};
  const stack: FieldsMask[] = [];
  let current = root;
  let previous: string | undefined;
  let last: string | undefined;
  token.lastIndex = 0;
  while (token.lastIndex < source.length) {
    const match = token.exec(source);
    if (match === null) throw new SyntaxError('Unexpected character.');
    const [, punctuation, name] = match;
    if (name !== undefined) {
      if (previous !== undefined && previous !== ',' && previous !== '{')
        throw new SyntaxError('Missing comma between names.');
      current[name] = true;
      last = name;
    } else if (punctuation === '{') {
      if (last === undefined || previous !== last) throw new SyntaxError('Unexpected opening brace.');
      const nested: FieldsMask = {};
      current[last] = nested;
      stack.push(current);
      current = nested;
    } else if (punctuation === '}') {
      const parent = stack.pop();
      if (parent === undefined || previous === '{' || previous === ',')
        throw new SyntaxError('Unexpected closing brace.');
      current = parent;
    } else if (previous === undefined || previous === ',' || previous === '{') {
      throw new SyntaxError('Unexpected comma.');
    }
    previous = name ?? punctuation;
    if (punctuation !== undefined) last = undefined;
  }
  if (stack.length > 0) throw new SyntaxError('Missing closing brace.');
  if (previous === ',') throw new SyntaxError('Unexpected comma.');
  if (Object.keys(root).length === 0) throw new SyntaxError('The mask selects no field.');
  return root;
}

/** Reads an `X-Fields` header against the spec's constraints and mask syntax; `undefined` mask when absent. */
export function readFieldsMask(header: string | null | undefined): MaskCheck {
  if (header === null || header === undefined) return { ok: true, mask: undefined };
  if (header.length < xFieldsHeader.minLength) return { ok: false, problem: 'Must not be empty.' };
  if (header.length > xFieldsHeader.maxLength) {
    return { ok: false, problem: `Must be at most ${xFieldsHeader.maxLength} characters.` };
  }
  if (!headerPattern.test(header)) return { ok: false, problem: `Must match the pattern ${xFieldsHeader.pattern}.` };
  try {
    return { ok: true, mask: parseFieldsMask(header) };
  } catch (error) {
    return { ok: false, problem: `Not a valid fields mask: ${(error as Error).message}` };
  }
}

/**
 * Applies a mask to a flat object of string fields (Flask-RESTPlus: unknown names are skipped,
 * `*` keeps every field, a nested mask on a scalar field is inconsistent: `RangeError`).
 */
export function applyFieldsMask(
  body: Readonly<Record<string, string>>,
  mask: FieldsMask | undefined,
): Record<string, string> {
  if (mask === undefined) return { ...body };
  const all = mask['*'] === true;
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) {
    const selection = mask[name];
    if (typeof selection === 'object') throw new RangeError(`The mask nests fields inside ${name}, which has none.`);
    if (all || selection === true) result[name] = value;
  }
  return result;
}
