import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    globalSetup: ['./src/figures/summary.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
