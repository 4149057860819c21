import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { bundleFunction } from '../../cli/bundle/bundle-function.ts';
import type { ExecutionOutcome } from '../../core/executor.ts';
import type { QueueBatchEvent, QueueBatchOutcome } from '../../core/messages.ts';
import { splitInlineMap } from '../../runtime/isolate/bundle-source-map.ts';
import { IsolateHostExecutor } from '../../runtime/isolate-host/isolate-host-executor.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { eventPayload, httpPayload, invocationContext } from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/functions/stack-trace/', import.meta.url));

async function bundled(folder: string, sourcemap: boolean): Promise<string> {
  return (await bundleFunction(folder, { typecheck: false, sourcemap, cwd: tmpdir() })).code;
}

function stackOf(outcome: ExecutionOutcome): string {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  assert.equal(outcome.error.code, 'FUNCTION_ERROR');
  return outcome.error.stack ?? '';
}

describe('isolate executor: stacks mapped through the source map', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;
  let folder: string;

  before(async () => {
    executor = new IsolateExecutor({ loadCode: fixtures.load });
    folder = await mkdtemp(join(tmpdir(), 'fjord-stack-'));
  });
  after(async () => {
    await executor.dispose();
    await rm(folder, { recursive: true, force: true });
  });

  test('a thrown error names the source file, line and column, from HTTP and events', async () => {
    const fn = fixtures.specForCode(uniqueName('mapped'), await bundled(FIXTURE, true));
    for (const payload of [httpPayload('GET', 'http://fjord.test/'), eventPayload(null)]) {
      const stack = stackOf(await executor.invoke(fn, payload, invocationContext()));
      assert.match(stack, /^RangeError: the stack-trace fixture failed on purpose\n/);
      // Paths start from the function's folder; the frame keeps V8's function name.
      assert.match(stack, /\n {4}at fail \(src\/index\.ts:5:9\)\n/);
      assert.doesNotMatch(stack, /fjord:\/\/\/[^)]*\.js/, 'no frame points into the bundle');
    }
  });

  test('the error of a queue batch whose handler threw is mapped too', async () => {
    const fn = fixtures.specForCode(uniqueName('queue'), await bundled(FIXTURE, true));
    const message = { id: 'm', timestamp: 1, attempts: 1, headers: {}, body: { text: 'x' } };
    const event: QueueBatchEvent = { type: 'queue', queue: 'q', messages: [message] };
    const outcome = await executor.invoke(fn, eventPayload(event), invocationContext());
    assert.ok(outcome.ok, JSON.stringify(outcome));
    const { error } = outcome.value as QueueBatchOutcome;
    assert.match(error?.stack ?? '', /\n {4}at fail \(src\/index\.ts:5:9\)\n/);
  });

  test('a bundle without a source map keeps its stack as V8 wrote it', async () => {
    const name = uniqueName('unmapped');
    const fn = fixtures.specForCode(name, await bundled(FIXTURE, false));
    const stack = stackOf(await executor.invoke(fn, eventPayload(null), invocationContext()));
    assert.match(stack, new RegExp(`\\n {4}at fail \\(fjord:///${name}@1\\.js:\\d+:\\d+\\)\\n`));
    assert.doesNotMatch(stack, /index\.ts/);
  });

  test('a module that throws while it loads is mapped too', async () => {
    await writeFile(join(folder, 'fn.json'), '{ "name": "init-throws" }');
    await writeFile(
      join(folder, 'index.ts'),
      "const ready = true;\nif (ready) throw new Error('no config');\nexport default () => 1;\n",
    );
    const fn = fixtures.specForCode(uniqueName('init'), await bundled(folder, true));
    const outcome = await executor.invoke(fn, eventPayload(null), invocationContext());
    const stack = stackOf(outcome);
    assert.match(stack, /^Error: no config\n {4}at index\.ts:2:18\n/);
  });
});

describe('isolate host processes: stacks mapped through the source map', () => {
  const fixtures = new FixtureBundles();
  let hosted: IsolateHostExecutor;

  before(() => {
    hosted = new IsolateHostExecutor({ loadCode: fixtures.load, processes: 1 });
  });
  after(async () => {
    await hosted.dispose();
  });

  test('the child process maps the stack before it reports the outcome', async () => {
    const fn = fixtures.specForCode(uniqueName('hosted'), await bundled(FIXTURE, true));
    // The child builds its prelude on its first cold start: a deadline no machine misses.
    const ctx = invocationContext({ deadline: Date.now() + 120_000 });
    const stack = stackOf(await hosted.invoke(fn, eventPayload(null), ctx));
    assert.match(stack, /\n {4}at fail \(src\/index\.ts:5:9\)\n/);
  });
});

describe('splitInlineMap', () => {
  test('takes the map off the code the isolate compiles, and leaves other code alone', async () => {
    const code = await bundled(FIXTURE, true);
    const split = splitInlineMap(code);
    assert.notEqual(split.map, undefined);
    assert.doesNotMatch(split.code, /sourceMappingURL/);
    assert.ok(code.startsWith(split.code));
    const plain = await bundled(FIXTURE, false);
    assert.deepEqual(splitInlineMap(plain), { code: plain });
  });

  test('an unreadable map leaves stacks as they are', () => {
    const code = 'throw 1;\n//# sourceMappingURL=data:application/json;base64,bm90IGpzb24=\n';
    const { map } = splitInlineMap(code);
    const stack = 'Error: x\n    at f (fjord:///f@1.js:1:1)';
    assert.equal(map?.mapStack(stack, 'fjord:///f@1.js'), stack);
  });
});
