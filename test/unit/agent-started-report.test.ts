/**
 * The `started` report is folded into `finished` for short invocations: an async invocation is
 * reported started only while it is still running after a while (runtime/started-report.ts), on
 * a real (in-memory) embedded broker with a stand-in executor.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { EmbeddedBroker } from '../../adapters/broker-embedded/index.ts';
import type { ExecutionOutcome, Executor, InvocationContext } from '../../core/executor.ts';
import { silentLogger } from '../../core/logger.ts';
import type { FunctionSpec, ResultEvent } from '../../core/messages.ts';
import { RuntimeAgent } from '../../runtime/agent.ts';
import { invocation, spec, uniqueName } from '../support/fixtures.ts';
import { Inbox } from '../support/inbox.ts';

/** Succeeds at once, unless the payload asks it to wait for `release()`. */
class HoldingExecutor implements Executor {
  #release: (() => void) | undefined;
  async invoke(_fn: FunctionSpec, payload: unknown, _ctx: InvocationContext) {
    const data = (payload as { data?: unknown }).data;
    if (data === 'hold') await new Promise<void>((resolve) => (this.#release = resolve));
    return { ok: true, value: data, coldStart: false, durationMs: 1, logs: [] } as ExecutionOutcome;
  }
  release(): void {
    this.#release?.();
  }
  async evict(): Promise<void> {}
  stats() {
    return { instances: 0, coldStarts: 0, invocations: 0 };
  }
  async dispose(): Promise<void> {}
}

async function setup(t: TestContext) {
  const fn = spec(uniqueName());
  const executor = new HoldingExecutor();
  const broker = new EmbeddedBroker({ path: ':memory:', logger: silentLogger() });
  await broker.start();
  const events = new Inbox<ResultEvent>();
  await broker.consumeResults(async (event) => events.push(event));
  const agent = new RuntimeAgent({
    broker,
    executor,
    directory: { list: async () => [fn] },
    logger: silentLogger(),
    nodeId: 'node-1',
  });
  t.after(async () => {
    executor.release();
    await agent.drain(1000);
    await broker.close();
  });
  await agent.start();
  return { fn, broker, executor, events };
}

test('a short async invocation is reported once, finished, with its start time', async (t) => {
  const { fn, broker, events } = await setup(t);
  const message = invocation(fn.name, 'quick', { fn });
  await broker.enqueue(message);
  const first = await events.next();
  assert.equal(first.type, 'finished', 'no started report before the result');
  assert.equal(first.type === 'finished' && first.result.id, message.id);
  assert.ok(first.type === 'finished' && first.result.startedAt >= message.acceptedAt);
});

test('an async invocation still running after a while is reported started, then finished', async (t) => {
  const { fn, broker, executor, events } = await setup(t);
  const message = invocation(fn.name, 'hold', { fn });
  await broker.enqueue(message);
  const started = await events.next(10_000, 'the started report');
  assert.equal(started.type, 'started');
  assert.equal(started.type === 'started' && started.id, message.id);
  executor.release();
  const finished = await events.next(10_000, 'the result');
  assert.equal(finished.type === 'finished' && finished.result.id, message.id);
});
