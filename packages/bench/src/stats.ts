/** The median of a non-empty list of numbers. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Formats a ratio with two decimals and a ×. */
export const ratio = (value: number, baseline: number): string => `${(value / baseline).toFixed(2)}×`;

/** A row of the printed table. */
export interface Row {
  group: string;
  what: string;
  value: string;
  ratio?: string;
  target?: string;
  verdict?: 'met' | 'MISSED' | '';
}

/** Prints rows as an aligned Markdown table. */
export function printTable(rows: readonly Row[]): void {
  const header: Row = {
    group: 'group',
    what: 'measure',
    value: 'value',
    ratio: 'ratio',
    target: 'target',
    verdict: '',
  };
  const cells = [header, ...rows].map((row) => [
    row.group,
    row.what,
    row.value,
    row.ratio ?? '',
    row.target ?? '',
    row.verdict ?? '',
  ]);
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((line) => line[column]!.length)));
  const line = (values: string[]) => `| ${values.map((value, column) => value.padEnd(widths[column]!)).join(' | ')} |`;
  console.log(line(cells[0]!));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const values of cells.slice(1)) console.log(line(values));
}
