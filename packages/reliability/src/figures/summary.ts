// Global setup and teardown: gives every test file the figures file, and prints the table
// of figures when the run ends (cases tried per family, failures, measurements).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { Figure } from './record.js';

export default function setup(project: TestProject) {
  const folder = mkdtempSync(join(tmpdir(), 'lumminary-figures-'));
  const file = join(folder, 'figures.jsonl');
  writeFileSync(file, '');
  project.provide('figuresFile', file);
  return () => {
    const figures = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Figure);
    rmSync(folder, { recursive: true, force: true });
    const byFamily = new Map<string, Map<string, number | string>>();
    for (const { family, measure, value } of figures) {
      const measures = byFamily.get(family) ?? new Map<string, number | string>();
      const previous = measures.get(measure);
      // Counts from several files of one family add up; other figures keep the last value.
      measures.set(
        measure,
        typeof previous === 'number' && typeof value === 'number' && /cases|failures|count/u.test(measure)
          ? previous + value
          : value,
      );
      byFamily.set(family, measures);
    }
    const lines = ['', 'Reliability and security battery: figures', ''];
    let tried = 0;
    let failures = 0;
    for (const [family, measures] of [...byFamily].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`  ${family}`);
      for (const [measure, value] of measures) {
        lines.push(`    ${measure.padEnd(48)} ${value}`);
        if (measure === 'cases tried' && typeof value === 'number') tried += value;
        if (measure === 'failures' && typeof value === 'number') failures += value;
      }
    }
    lines.push('', `  all families: ${tried} cases tried, ${failures} failures`, '');
    console.log(lines.join('\n'));
  };
}
