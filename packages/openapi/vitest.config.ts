import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // One headless Chromium: ~2 s to launch, ~3 s to render the page.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
