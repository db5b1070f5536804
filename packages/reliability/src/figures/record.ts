// Figures the battery reports: each test file records what it tried and what it measured;
// the global teardown (summary.ts) prints them as one table after the run.
import { appendFileSync } from 'node:fs';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The JSON-lines file the figures of this run are appended to. */
    figuresFile: string;
  }
}

/** One line of the summary: a family of cases, how many were tried and how many failed, plus free-form figures. */
export interface Figure {
  /** E.g. `client faults`, `server hostile input`, `load`. */
  family: string;
  /** What was measured, e.g. `cases tried` or `requests/s`. */
  measure: string;
  value: number | string;
}

/** Records one figure for the summary. */
export function recordFigure(family: string, measure: string, value: number | string): void {
  const figure: Figure = { family, measure, value };
  appendFileSync(inject('figuresFile'), `${JSON.stringify(figure)}\n`);
}

/** Records how many cases a family tried and how many failed (a failure also fails its test). */
export function recordCases(family: string, tried: number, failures: number): void {
  recordFigure(family, 'cases tried', tried);
  recordFigure(family, 'failures', failures);
}
