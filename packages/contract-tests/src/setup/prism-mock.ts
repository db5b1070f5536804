// Starts one Prism mock on the bundled spec for the whole run, and stops it afterwards.
import type { TestProject } from 'vitest/node';
import { startPrism } from '../../../../scripts/lib/prism.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the Prism mock serving the bundled spec. */
    mockUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const prism = await startPrism({ mode: 'mock' });
  project.provide('mockUrl', prism.url);
  return async () => {
    await prism.stop();
  };
}
