// The bundled spec that Prism serves, for tests that iterate over what it declares.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface ExampleObject {
  value: unknown;
}
interface ResponseObject {
  headers?: Record<string, { example?: unknown }>;
  content?: Record<string, { examples?: Record<string, ExampleObject> }>;
}
interface BundledSpec {
  paths: {
    '/auth/jwt': {
      post: { responses: Record<string, unknown> };
    };
  };
}

/** The bundled spec (JSON), as `@lumminary/auth-openapi` builds it. */
export const bundledSpec: BundledSpec = JSON.parse(
  readFileSync(require.resolve('@lumminary/auth-openapi/openapi.json'), 'utf8'),
);

/** A copy of `value` with every local `$ref` (`#/…`) replaced by what it points to. */
function dereference(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dereference);
  if (typeof value !== 'object' || value === null) return value;
  const ref = (value as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    let target: unknown = bundledSpec;
    for (const segment of ref.replace(/^#\//, '').split('/')) {
      target = (target as Record<string, unknown> | undefined)?.[segment.replaceAll('~1', '/').replaceAll('~0', '~')];
    }
    if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
    return dereference(target);
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, dereference(item)]));
}

/** The declared responses of POST /auth/jwt by status code, every `$ref` resolved. */
export function declaredResponses(): Map<number, ResponseObject> {
  const responses = dereference(bundledSpec.paths['/auth/jwt'].post.responses) as Record<string, ResponseObject>;
  return new Map(Object.entries(responses).map(([status, response]) => [Number(status), response]));
}
