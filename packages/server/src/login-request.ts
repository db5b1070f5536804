import type { HonoRequest } from 'hono';
import type { FormContentType } from './content-type.js';
import { errorMessages } from './errors.js';
import { applyFieldsMask, readFieldsMask, type FieldsMask } from './fields-mask.js';
import { bodyErrorKey, checkForm, checkRawEncoding, type JwtAuthForm } from './form.js';

/** A login request read and checked: the form and the response mask, or what is wrong with it (a 400). */
export type LoginRequest =
  | { ok: true; form: JwtAuthForm; mask: FieldsMask | undefined }
  | { ok: false; message: string; errors: Record<string, string> };

/** Checks the `X-Fields` header: valid syntax, and it keeps `access_token` (which the spec requires). */
function checkMask(header: string | undefined): { mask: FieldsMask | undefined } | { problem: string } {
  const read = readFieldsMask(header);
  if (!read.ok) return { problem: read.problem };
  try {
    if (!('access_token' in applyFieldsMask({ access_token: '' }, read.mask))) {
      return { problem: 'The mask must select access_token, the only field of the response, which the spec requires.' };
    }
  } catch (error) {
    return { problem: (error as Error).message };
  }
  return { mask: read.mask };
}

/**
 * Reads a login request whose content type and size were already checked. The platform parses the
 * form (hono's `parseBody`); this only validates: header, raw encoding, then the spec's field rules.
 * The header is checked first, so that a request refused for it never uses up a 2FA code.
 */
export async function readLoginRequest(request: HonoRequest, contentType: FormContentType): Promise<LoginRequest> {
  const mask = checkMask(request.header('X-Fields'));
  if ('problem' in mask)
    return { ok: false, message: errorMessages.invalidHeader, errors: { 'X-Fields': mask.problem } };

  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await request.arrayBuffer());
  } catch {
    // The client broke off the body (closed the connection, or timed out and got its 408): its fault, not a 500.
    return { ok: false, message: errorMessages.invalidForm, errors: { [bodyErrorKey]: 'The body could not be read.' } };
  }
  let parsed: Awaited<ReturnType<typeof request.parseBody>>;
  try {
    parsed = await request.parseBody({ all: true });
  } catch {
    return {
      ok: false,
      message: errorMessages.invalidForm,
      errors: { [bodyErrorKey]: 'Not valid multipart/form-data: check the boundary and that the body is complete.' },
    };
  }
  const encodingProblem = checkRawEncoding(bytes, contentType);
  const check = checkForm(parsed);
  if (check.ok && encodingProblem === undefined) return { ok: true, form: check.form, mask: mask.mask };
  const errors = check.ok ? {} : check.errors;
  if (encodingProblem !== undefined) errors[bodyErrorKey] = encodingProblem;
  return { ok: false, message: errorMessages.invalidForm, errors };
}
