import type { ContractTarget } from '../harness.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** What this project's contract suite runs against. */
    target: ContractTarget;
  }
}
