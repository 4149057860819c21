/**
 * The `--before COPY` of the micro-benchmarks that compare this tree's code with another
 * commit's in one process, alternating in rounds. A copy is made once per comparison, e.g.
 *
 *   git worktree add --detach /tmp/before COMMIT && ln -s "$PWD/node_modules" /tmp/before/
 *
 * or, with only the directories a script imports:
 *
 *   mkdir -p /tmp/before && git archive COMMIT core adapters | tar -x -C /tmp/before
 *   ln -s "$PWD/node_modules" /tmp/before/node_modules
 */
import { join, resolve } from 'node:path';

/** The root of this tree: the "after" side of a comparison. */
export const THIS_TREE = resolve(import.meta.dirname, '../..');

/** The copy `--before` names, as an absolute path; throws when the flag is missing. */
export function beforeRoot(flag: string | undefined): string {
  if (flag === undefined) throw new Error('--before DIR is required (see the header)');
  return resolve(flag);
}

/** Imports `file` (relative to the repository root) from the tree at `root`. */
export async function importFrom<Module = Record<string, unknown>>(
  root: string,
  file: string,
): Promise<Module> {
  return (await import(join(root, file))) as Module;
}

/**
 * What `load` gives for the copy and for this tree, labelled for the rounds. Without a copy
 * (`required: false` and no flag) only this tree's.
 */
export async function beforeAndAfter<Code>(
  flag: string | undefined,
  load: (root: string) => Promise<Code>,
  { required = true }: { required?: boolean } = {},
): Promise<(readonly [name: string, code: Code])[]> {
  const after = ['after', await load(THIS_TREE)] as const;
  if (flag === undefined && !required) return [after];
  return [['before', await load(beforeRoot(flag))], after];
}

/** The median of `xs` (the upper one of an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
}

/**
 * Measures each variant `rounds` times in alternation (before, after, before, ...), prints every
 * round but the first (a warm-up) and then the medians, as `µs CPU per <unit> (<count>)`.
 */
export async function alternateRounds<Code>(
  variants: readonly (readonly [name: string, code: Code])[],
  rounds: number,
  measure: (code: Code) => Promise<number>,
  label: { unit: string; count: number },
): Promise<void> {
  const figures = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    for (const [name, code] of variants) {
      const us = await measure(code);
      figures.set(name, [...(figures.get(name) ?? []), us]);
      if (r > 0) console.log(`${name}: ${us.toFixed(2)} µs CPU per ${label.unit}`);
    }
  }
  for (const [name, us] of figures) {
    const m = median(us.slice(1)).toFixed(2);
    console.log(`median ${name}: ${m} µs CPU per ${label.unit} (${label.count})`);
  }
}
