import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Each login costs one scrypt on the reference server; the bin tests start Node processes.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
