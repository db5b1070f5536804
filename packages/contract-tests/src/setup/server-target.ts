// Global setup of the `server` project: the reference server behind `prism proxy --errors`,
// so that every request and response the shared suite exchanges is validated against the spec.
import type { TestProject } from 'vitest/node';
import { startServerBehindProxy } from '../harness.js';
import './provide.js';

export default async function setup(project: TestProject) {
  // The shared suite fails logins on purpose; a generous limit keeps it from tripping 429s.
  const target = await startServerBehindProxy({
    twoFactorAccounts: 4,
    rateLimit: { accountFailures: 1000, addressFailures: 1000 },
  });
  project.provide('target', {
    kind: 'server',
    baseUrl: target.url,
    jwksUrl: `${target.serverUrl}/.well-known/jwks.json`,
    twoFactorAccounts: target.twoFactorAccounts,
  });
  return () => target.stop();
}
