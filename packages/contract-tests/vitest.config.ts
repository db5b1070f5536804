import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    globalSetup: ['./src/setup/prism-mock.ts'],
    // Every request has its own timeout too: a request Prism never answers fails fast.
    testTimeout: 15_000,
    hookTimeout: 30_000,
  },
});
