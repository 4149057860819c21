/**
 * Lines a function logged before the host stopped its isolate (deadline, cpuMs, memory) belong
 * to the invocation's outcome. Lines travel to the host as tasks of its event loop, so a stop
 * that runs first (a timer of the same loop turn) used to close the invocation's log with them
 * still queued. Here the host's thread is held up right after the first line, while the isolate
 * logs the rest and then stalls, so that the rest and the stop are due in the same loop turn.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FunctionSpec } from '../../core/messages.ts';
import { IsolateExecutor, type LiveLogEvent } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { errorOf, eventPayload, invocationContext } from '../fixtures/bundles/invocations.ts';

const LINES = 200;

/** Blocks this thread (timers, I/O, isolate tasks alike) until `until` (epoch ms). */
function holdThread(until: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, until - Date.now()));
}

describe('isolate executor: logs written before a stop', () => {
  const fixtures = new FixtureBundles();
  /** When to let the host go on, once the first line of an invocation has arrived. */
  let holdUntil = (): number => 0;
  let executor: IsolateExecutor;

  before(() => {
    executor = new IsolateExecutor({
      loadCode: fixtures.load,
      onLog: (event: LiveLogEvent) => {
        // After this loop turn's isolate tasks: the rest of the lines queue up behind the hold.
        if (event.entry.message === `line 1 of ${LINES}`)
          setImmediate(() => holdThread(holdUntil()));
      },
    });
  });
  after(() => executor.dispose());

  const stopped = async (
    stall: string,
    overrides: Partial<FunctionSpec>,
    deadlineMs: number,
    hold: (deadline: number) => number,
  ): Promise<{ code: string; lines: string[] }> => {
    const fn = await fixtures.spec('log-then-stall', overrides);
    await executor.prewarm(fn, 1);
    const deadline = Date.now() + deadlineMs;
    holdUntil = () => hold(deadline);
    const outcome = await executor.invoke(
      fn,
      eventPayload({ lines: LINES, stall, gapMs: 20 }),
      invocationContext({ deadline }),
    );
    return { code: errorOf(outcome).code, lines: outcome.logs.map((e) => e.message) };
  };
  const all = Array.from({ length: LINES }, (_, i) => `line ${i + 1} of ${LINES}`);

  test('a function that logs, then awaits forever, keeps its lines at the deadline', async () => {
    const { code, lines } = await stopped('hang', {}, 1500, (deadline) => deadline + 100);
    assert.equal(code, 'INVOCATION_TIMEOUT');
    assert.deepEqual(lines, all);
  });

  test('a function that logs, then spins, keeps its lines at the deadline', async () => {
    const { code, lines } = await stopped('spin', {}, 1500, (deadline) => deadline + 100);
    assert.equal(code, 'INVOCATION_TIMEOUT');
    assert.deepEqual(lines, all);
  });

  test('a function that logs, then spins, keeps its lines at its cpuMs limit', async () => {
    // Held long enough for the spin to pass 100 ms of CPU time: the watchdog fires next turn.
    const { code, lines } = await stopped('spin', { cpuMs: 100 }, 30_000, () => Date.now() + 600);
    assert.equal(code, 'CPU_LIMIT_EXCEEDED');
    assert.deepEqual(lines, all);
  });

  test('a function that logs, then fills its heap, keeps its lines', async () => {
    const { code, lines } = await stopped('bomb', { memoryMb: 32 }, 30_000, () => 0);
    assert.equal(code, 'MEMORY_LIMIT_EXCEEDED');
    assert.deepEqual(lines, all);
  });
});
