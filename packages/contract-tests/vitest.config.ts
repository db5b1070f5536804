import { defineConfig } from 'vitest/config';

const shared = {
  // Every request has its own timeout too: a request Prism never answers fails fast.
  testTimeout: 15_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  test: {
    projects: [
      {
        // The shared contract suite and the mock-only tests (Prism's `Prefer`), against a Prism mock.
        test: {
          ...shared,
          name: 'mock',
          include: ['src/**/*.contract.test.ts', 'src/**/*.mock.test.ts'],
          globalSetup: ['./src/setup/mock-target.ts'],
        },
      },
      {
        // The same shared suite, plus the stateful tests Prism cannot do, against the reference
        // server behind `prism proxy --errors`.
        test: {
          ...shared,
          name: 'server',
          include: ['src/**/*.contract.test.ts', 'src/**/*.server.test.ts'],
          globalSetup: ['./src/setup/server-target.ts'],
        },
      },
    ],
  },
});
