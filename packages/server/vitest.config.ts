import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Logins cost one scrypt (~50 ms on 2 cores); no test should come near this.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
