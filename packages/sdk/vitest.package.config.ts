import { defineConfig } from 'vitest/config';

// The packed-package test (package-tests/): npm pack, an offline install into a temporary
// project, ESM/CommonJS use, NodeNext type checks, publint and attw. Needs `npm run build`.
export default defineConfig({
  test: {
    include: ['package-tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
