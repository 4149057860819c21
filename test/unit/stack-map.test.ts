/**
 * Mapping a function's error stack through its bundle's inline source map
 * (docker/shim/stack-map.mts), and the bounds that keep a forged stack or an oversized map from
 * costing the host thread other functions share.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { transform } from 'esbuild';
import { splitInlineMap } from '../../docker/shim/stack-map.mts';

const FILE = 'fjord:///fn@1.js';

/** A bundle of `source` (three statements, one per line) with its map inline, as fn deploy makes. */
async function bundled(): Promise<string> {
  const source = [
    'const a = 1;',
    'const b = 2;',
    'export function boom() { throw new Error(String(a + b)); }',
  ];
  const { code } = await transform(source.join('\n'), {
    loader: 'ts',
    format: 'esm',
    sourcemap: 'inline',
    sourcefile: 'src/index.ts',
  });
  return code;
}

/** The bundle position (1-based line and column) of `needle` in `code`. */
function positionOf(code: string, needle: string): { line: number; column: number } {
  const lines = code.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  return { line: line + 1, column: (lines[line] ?? '').indexOf(needle) + 1 };
}

test('frames into the bundle name the source; other frames and text stay as they are', async () => {
  const bundle = await bundled();
  const { code, map } = splitInlineMap(bundle);
  assert.ok(map, 'an inline map is found');
  assert.doesNotMatch(code, /sourceMappingURL/, 'the isolate never compiles the map');
  const { line, column } = positionOf(code, 'throw');
  const stack = [
    'Error: 3',
    `    at boom (${FILE}:${line}:${column})`,
    `    at ${FILE}:${line}:${column}`,
    '    at run (fjord:prelude.js:10:5)',
    `    a message that mentions ${FILE}:${line}:${column}`,
  ].join('\n');
  const lines = map.mapStack(stack, FILE).split('\n');
  assert.equal(lines[0], 'Error: 3');
  assert.match(lines[1] ?? '', /^ {4}at boom \(src\/index\.ts:3:\d+\)$/);
  assert.match(lines[2] ?? '', /^ {4}at src\/index\.ts:3:\d+$/);
  assert.equal(lines[3], '    at run (fjord:prelude.js:10:5)');
  assert.equal(lines[4], `    a message that mentions ${FILE}:${line}:${column}`);
});

test('a forged stack: over-long lines and lines past the first 50 are left as they are', async () => {
  const { code, map } = splitInlineMap(await bundled());
  assert.ok(map);
  const { line, column } = positionOf(code, 'throw');
  const frame = `    at boom (${FILE}:${line}:${column})`;
  const long = `    at ${' (1:1'.repeat(20_000)} (${FILE}:${line}:${column})`;
  const frames = Array.from({ length: 60 }, () => frame);
  const mapped = map.mapStack(['Error: x', long, ...frames].join('\n'), FILE).split('\n');
  assert.equal(mapped.length, 62, 'no line lost or added');
  assert.equal(mapped[1], long, 'a line longer than any frame is not read');
  assert.match(mapped[2] ?? '', /src\/index\.ts/);
  assert.match(mapped[49] ?? '', /src\/index\.ts/, 'the 50th line is mapped');
  assert.equal(mapped[50], frame, 'the 51st is not');
  assert.equal(mapped[61], frame);
});

test('a map over the size bound is taken off the code but not read', () => {
  const huge = 'A'.repeat(4 * 1024 * 1024 + 4);
  const bundle = `export const x = 1;\n//# sourceMappingURL=data:application/json;base64,${huge}`;
  const { code, map } = splitInlineMap(bundle);
  assert.equal(code, 'export const x = 1;\n');
  assert.equal(map, undefined);
});

test('an unreadable map leaves stacks as they are', () => {
  const bundle =
    'export const x = 1;\n//# sourceMappingURL=data:application/json;base64,bm90IGpzb24=';
  const { map } = splitInlineMap(bundle);
  assert.ok(map);
  const stack = `Error: x\n    at f (${FILE}:1:1)`;
  assert.equal(map.mapStack(stack, FILE), stack);
});
