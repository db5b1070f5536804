// Every error status the spec declares, as the SDK surfaces it: Prism's mock answers any
// declared status on request (`Prefer: code=…`) with the spec's example. Mock project only.
import { AuthHttpError, createAuthClient } from '@lumminary/auth-sdk';
import { describe, expect, inject, it } from 'vitest';
import { demoProduct } from './harness.js';
import { declaredResponses } from './spec.js';
import './setup/provide.js';

const target = inject('target');

describe('every declared error status surfaces as a typed AuthHttpError', () => {
  const errorStatuses = [...declaredResponses().keys()].filter((status) => status >= 400);

  it('the spec declares at least 400, 401 and 429', () => {
    expect(errorStatuses).toEqual(expect.arrayContaining([400, 401, 429]));
  });

  for (const status of errorStatuses) {
    it(`HTTP ${status}`, async () => {
      const declared = declaredResponses().get(status)!;
      const examples = Object.values(declared.content?.['application/json']?.examples ?? {});
      expect(examples.length).toBeGreaterThan(0);
      const example = examples[0]!.value as { code: string; message: string };
      const client = createAuthClient({
        baseUrl: target.baseUrl,
        timeoutMs: 5000,
        headers: { Prefer: `code=${status}` },
      });
      const error = await client.postJwtAuth(demoProduct).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(AuthHttpError);
      const httpError = error as AuthHttpError;
      expect(httpError.status).toBe(status);
      expect(httpError.code).toBe(example.code);
      expect(httpError.body).toEqual(example);
      expect(httpError.message).toContain(String(status));
      expect(httpError.message).not.toContain(demoProduct.password);
      if (status === 429) {
        expect(declared.headers?.['Retry-After']).toBeDefined();
        expect(httpError.retryAfterSeconds).toBe(declared.headers?.['Retry-After']?.example);
      }
    });
  }
});
