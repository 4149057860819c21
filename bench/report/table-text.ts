/**
 * The table of a run as text: for the console (aligned columns) and for BENCHMARKS.md (Markdown).
 * Rows of one section share a heading; a figure repeated for its next anchor is left blank.
 */
import type { TableRow } from '../model.ts';
import { load } from './format.ts';

const HEADER = ['', 'Fjord', 'anchor', 'anchor value', 'ratio', 'target', 'result', 'load'];

function verdict(row: TableRow): string {
  return row.pass === undefined ? '' : row.pass ? 'pass' : 'FAIL';
}

/** Cells per section, with repeated what/Fjord cells blanked. */
function sections(rows: TableRow[]): Map<string, string[][]> {
  const bySection = new Map<string, string[][]>();
  let previous: TableRow | undefined;
  for (const row of rows) {
    const cells = bySection.get(row.section) ?? [];
    bySection.set(row.section, cells);
    const repeat = previous?.what === row.what && previous.fjord === row.fjord;
    cells.push([
      repeat ? '' : row.what,
      repeat ? '' : row.fjord,
      row.anchor,
      row.anchorValue,
      row.ratio,
      row.target === '—' && repeat ? '' : row.target,
      verdict(row),
      repeat ? '' : load(row.load1),
    ]);
    previous = row;
  }
  return bySection;
}

export function consoleTable(rows: TableRow[]): string {
  const all = [...sections(rows).values()].flat();
  const widths = HEADER.map((h, i) => Math.max(h.length, ...all.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const [section, cells] of sections(rows)) {
    out.push('', `${section}:`, ...cells.map(line));
  }
  return out.join('\n');
}

export function markdownTable(rows: TableRow[]): string {
  const escape = (c: string): string => c.replaceAll('|', '\\|');
  const out: string[] = [];
  for (const [section, cells] of sections(rows)) {
    out.push(`| **${section}** | ${HEADER.slice(1).join(' | ')} |`);
    out.push(`|${HEADER.map(() => '---').join('|')}|`);
    for (const c of cells) {
      const [what = '', ...rest] = c.map(escape);
      out.push(`| ${what} | ${rest.map((x) => (x === 'FAIL' ? '**FAIL**' : x)).join(' | ')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
