import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Executor } from '../../core/executor.ts';
import { ContainerExecutor } from '../../runtime/container/container-executor.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { bundleFunction, FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { uniqueName } from '../support/fixtures.ts';
import { CONFORMANCE_CASES, comparableOutcome } from './executor-cases.ts';
import { baseImage } from './support/container-fixtures.ts';

describe('executor conformance: isolate and container give the same results', () => {
  const bundles = new FixtureBundles();
  const code = new Map<string, Promise<string>>();
  let executors: Record<'isolate' | 'container', Executor>;

  before(async () => {
    executors = {
      isolate: new IsolateExecutor({ loadCode: bundles.load }),
      container: new ContainerExecutor({
        loadCode: bundles.load,
        image: await baseImage(),
        nodeId: 'conformance-test',
      }),
    };
  });
  after(() => Promise.all(Object.values(executors).map((e) => e.dispose())));

  /** The same bundle for both runtimes: the fixtures use Web APIs only. */
  function bundle(fixture: string): Promise<string> {
    let bundled = code.get(fixture);
    if (bundled === undefined) {
      bundled = bundleFunction(fixture);
      code.set(fixture, bundled);
    }
    return bundled;
  }

  for (const c of CONFORMANCE_CASES) {
    test(c.name, async () => {
      const source = await bundle(c.fixture);
      const name = uniqueName(c.fixture);
      const run = (runtime: 'isolate' | 'container') => {
        const fn = bundles.specForCode(name, source, {
          runtime,
          memoryMb: 128,
          concurrency: 1,
          ...c.spec,
        });
        return executors[runtime].invoke(fn, c.payload, c.ctx());
      };
      const [isolate, container] = await Promise.all([run('isolate'), run('container')]);
      c.check(isolate);
      c.check(container);
      const comparable = c.comparable ?? comparableOutcome;
      assert.deepEqual(comparable(container), comparable(isolate));
    });
  }
});
