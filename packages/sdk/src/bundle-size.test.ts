// The size budget: what users ship for a login (and with the session), minified and
// gzipped, from the built dist/. Fails when a change makes either bundle exceed its budget.
import { describe, expect, it } from 'vitest';
import { bundleEntries, measureBundle } from '../../../scripts/lib/bundle-size.mjs';

describe('bundle size budget (esbuild --minify, gzip -9)', () => {
  for (const entry of bundleEntries) {
    it(`${entry.name} ≤ ${entry.budgetBytes} B gzipped`, async () => {
      const { gzippedBytes, minifiedBytes } = await measureBundle(entry);
      expect(minifiedBytes).toBeGreaterThan(1000); // a real bundle, not an empty one
      expect(gzippedBytes).toBeLessThanOrEqual(entry.budgetBytes);
    });
  }

  it('login only does not pull in openapi-fetch (it is for createAuthApi)', async () => {
    const loginOnly = await measureBundle({ imports: 'createAuthClient' });
    const withApi = await measureBundle({ imports: 'createAuthClient, createAuthApi' });
    expect(withApi.minifiedBytes - loginOnly.minifiedBytes).toBeGreaterThan(4000);
  });
});
