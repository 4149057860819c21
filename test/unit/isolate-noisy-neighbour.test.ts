/**
 * A noisy neighbour on one executor: while one function spins, blows its heap, floods its logs,
 * queues microtasks forever or answers with too much, a well-behaved function keeps answering
 * correctly. Each misbehaving invocation ends with its own code and, when it had to be stopped,
 * its isolate is replaced. Latencies are printed as diagnostics, never asserted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ExecutionOutcome } from '../../core/executor.ts';
import type { FunctionSpec } from '../../core/messages.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  bodyBytes,
  errorOf,
  eventPayload,
  httpPayload,
  invocationContext,
  responseOf,
  valueOf,
} from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';

const LOG_LIMIT = 16 * 1024;
const MAX_RESPONSE = 1024 * 1024;
/** The deadline every well-behaved call gets: all of them must finish within it. */
const GOOD_DEADLINE_MS = 5000;

/** One misbehaviour, how long it may run, and how it must end. */
interface Case {
  mode: string;
  spec: 'plain' | 'cpu';
  deadlineMs: number;
  code: string;
  message: RegExp;
  /** Stopped from outside, so its isolate must not serve again. */
  replaced: boolean;
}

const CASES: Case[] = [
  {
    mode: 'spin',
    spec: 'plain',
    deadlineMs: 300,
    code: 'INVOCATION_TIMEOUT',
    message: /did not finish within the \d+ ms it had left/,
    replaced: true,
  },
  {
    mode: 'spin',
    spec: 'cpu',
    deadlineMs: 60_000,
    code: 'CPU_LIMIT_EXCEEDED',
    message: /CPU time limit of 100 ms/,
    replaced: true,
  },
  {
    mode: 'bomb',
    spec: 'plain',
    deadlineMs: 60_000,
    code: 'MEMORY_LIMIT_EXCEEDED',
    message: /memory limit of 32 MB/,
    replaced: true,
  },
  {
    mode: 'flood',
    spec: 'plain',
    deadlineMs: 300,
    code: 'INVOCATION_TIMEOUT',
    message: /did not finish within the \d+ ms it had left/,
    replaced: true,
  },
  {
    mode: 'chain',
    spec: 'plain',
    deadlineMs: 300,
    code: 'INVOCATION_TIMEOUT',
    message: /did not finish within the \d+ ms it had left/,
    replaced: true,
  },
  {
    mode: 'huge',
    spec: 'plain',
    deadlineMs: 60_000,
    code: 'BAD_FUNCTION_RESPONSE',
    message: /event result exceeds the limit of 1048576 bytes/,
    replaced: false,
  },
];

/** Calls the well-behaved function back to back until stopped, keeping what it saw. */
class GoodNeighbour {
  readonly latencies: number[] = [];
  readonly failures: string[] = [];
  /** Calls that started and finished while a misbehaving invocation was running. */
  during = 0;
  #stopped = false;
  #noisy = false;
  #done: Promise<void> | undefined;

  readonly #executor: IsolateExecutor;
  readonly #fn: FunctionSpec;

  constructor(executor: IsolateExecutor, fn: FunctionSpec) {
    this.#executor = executor;
    this.#fn = fn;
  }

  start(): void {
    this.#done = this.#loop();
  }

  /** Marks the span of one misbehaving invocation. */
  async around<T>(work: () => Promise<T>): Promise<T> {
    this.#noisy = true;
    try {
      return await work();
    } finally {
      this.#noisy = false;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      const startedNoisy = this.#noisy;
      const started = performance.now();
      const outcome = await this.#executor.invoke(
        this.#fn,
        httpPayload('GET', 'http://fjord.test/'),
        invocationContext({ deadline: Date.now() + GOOD_DEADLINE_MS }),
      );
      this.latencies.push(performance.now() - started);
      if (startedNoisy && this.#noisy) this.during += 1;
      const wrong = check(outcome);
      if (wrong !== undefined) this.failures.push(wrong);
    }
  }
}

function check(outcome: ExecutionOutcome): string | undefined {
  if (!outcome.ok) return `${outcome.error.code}: ${outcome.error.message}`;
  const response = responseOf(outcome);
  const body = bodyBytes(response).toString();
  return response.status === 201 && body === 'hello from fjord'
    ? undefined
    : `${response.status} ${body}`;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

describe('isolate executor: a noisy neighbour', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  before(() => {
    executor = new IsolateExecutor({
      loadCode: fixtures.load,
      logLimitBytes: LOG_LIMIT,
      maxResponseBytes: MAX_RESPONSE,
    });
  });
  after(() => executor.dispose());

  test('every misbehaviour ends with its own code while a neighbour keeps answering', async (t) => {
    const good = await fixtures.spec('hello', { name: uniqueName('good') });
    const specs = {
      plain: await fixtures.spec('noisy', {
        name: uniqueName('noisy'),
        memoryMb: 32,
        concurrency: 1,
      }),
      cpu: await fixtures.spec('noisy', {
        name: uniqueName('noisy-cpu'),
        cpuMs: 100,
        concurrency: 1,
      }),
    };
    assert.equal(
      check(
        await executor.invoke(good, httpPayload('GET', 'http://fjord.test/'), invocationContext()),
      ),
      undefined,
    );

    // The same calls with nobody else running, for the diagnostic.
    const baseline: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      const outcome = await executor.invoke(
        good,
        httpPayload('GET', 'http://fjord.test/'),
        invocationContext(),
      );
      baseline.push(performance.now() - started);
      assert.equal(check(outcome), undefined);
    }

    const neighbour = new GoodNeighbour(executor, good);
    neighbour.start();
    try {
      for (const c of CASES) {
        const fn = specs[c.spec];
        // A warm isolate first, so that "replaced" means something.
        await executor.invoke(fn, eventPayload({ mode: 'ok' }), invocationContext());
        const outcome = await neighbour.around(() =>
          executor.invoke(
            fn,
            eventPayload({ mode: c.mode }),
            invocationContext({ deadline: Date.now() + c.deadlineMs }),
          ),
        );
        const error = errorOf(outcome);
        assert.equal(error.code, c.code, `${c.mode} (${c.spec}): ${error.message}`);
        assert.match(error.message, c.message);
        assert.equal(outcome.coldStart, false, `${c.mode} ran in the warm isolate`);
        const next = await executor.invoke(fn, eventPayload({ mode: 'ok' }), invocationContext());
        assert.equal(next.coldStart, c.replaced, `${c.mode}: isolate replaced`);
        if (c.replaced) assert.equal(valueOf(next), 1, `${c.mode}: module state starts over`);
      }
    } finally {
      await neighbour.stop();
    }

    assert.deepEqual(neighbour.failures, [], 'every well-behaved call answered correctly in time');
    assert.ok(neighbour.during > 0, 'the neighbour answered while misbehaviour ran');
    t.diagnostic(
      `good neighbour: baseline p50 ${percentile(baseline, 50).toFixed(2)} ms, ` +
        `p99 ${percentile(baseline, 99).toFixed(2)} ms (${baseline.length} calls); ` +
        `beside the noise p50 ${percentile(neighbour.latencies, 50).toFixed(2)} ms, ` +
        `p99 ${percentile(neighbour.latencies, 99).toFixed(2)} ms, ` +
        `max ${Math.max(...neighbour.latencies).toFixed(2)} ms (${neighbour.latencies.length} calls, ${neighbour.during} during misbehaviour)`,
    );
  });
});
