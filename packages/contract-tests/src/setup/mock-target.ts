// Global setup of the `mock` project: one Prism mock of the bundled spec for the run.
import type { TestProject } from 'vitest/node';
import { startPrism } from '../../../../scripts/lib/prism.mjs';
import './provide.js';

export default async function setup(project: TestProject) {
  const prism = await startPrism({ mode: 'mock' });
  project.provide('target', {
    kind: 'mock',
    baseUrl: prism.url,
    // Prism checks only the form of a code; these stand in for real accounts.
    twoFactorAccounts: Array.from({ length: 4 }, (_, i) => ({
      username: `contract-2fa-${i + 1}@example.org`,
      password: `contract password ${i + 1} & more`,
      totpSecret: 'XU2APR6HYSLGJUW2IJZVYJWUD3QG2CHA',
    })),
  });
  return () => prism.stop();
}
