// Global setup of the `mock` project: one Prism mock of the bundled spec for the run.
import type { TestProject } from 'vitest/node';
import { startPrism } from '../../../../scripts/lib/prism.mjs';
import { demoCredentials } from '@lumminary/auth-server';
import { contractTwoFactorAccount } from '../harness.js';
import './provide.js';

export default async function setup(project: TestProject) {
  const prism = await startPrism({ mode: 'mock' });
  project.provide('target', {
    kind: 'mock',
    baseUrl: prism.url,
    // Prism checks only the form of a code; these stand in for real accounts.
    twoFactorAccounts: Array.from({ length: 4 }, (_, i) => ({
      ...contractTwoFactorAccount(i + 1),
      totpSecret: demoCredentials.client.totpSecret,
    })),
  });
  return () => prism.stop();
}
