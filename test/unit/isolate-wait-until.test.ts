/**
 * ctx.waitUntil: the reply goes out at once, the work keeps the invocation (its timers, I/O and
 * logs) alive afterwards, within the deadline, and the isolate takes no other invocation until
 * that work is done. The work fetches `/gate?id=ID` from a server here, which answers only when
 * the test says; requests and log lines are kept apart per invocation.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { LiveLogEvent } from '../../runtime/isolate/executor-options.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { eventPayload, invocationContext, valueOf } from '../fixtures/bundles/invocations.ts';
import { Inbox } from '../support/inbox.ts';

/** Inboxes created on first use, one per key. */
class Inboxes<T> {
  readonly #boxes = new Map<string, Inbox<T>>();

  get(key: string): Inbox<T> {
    let box = this.#boxes.get(key);
    if (box === undefined) {
      box = new Inbox<T>();
      this.#boxes.set(key, box);
    }
    return box;
  }
}

describe('isolate executor: ctx.waitUntil', () => {
  const fixtures = new FixtureBundles();
  /** Requests the server holds, by the id in their query. */
  const arrived = new Inboxes<ServerResponse>();
  /** Ids of requests the client gave up on before an answer. */
  const dropped = new Inboxes<true>();
  /** Console lines, by invocation id. */
  const lines = new Inboxes<string>();
  const onLog = (event: LiveLogEvent): void =>
    lines.get(event.invocationId).push(event.entry.message);
  const server = createServer((req, res) => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
    res.on('close', () => {
      if (!res.writableFinished) dropped.get(id).push(true);
    });
    arrived.get(id).push(res);
  });
  let executor: IsolateExecutor;
  let base: string;
  let allow: string;

  before(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}/gate`;
    allow = `127.0.0.1:${port}`;
    executor = new IsolateExecutor({ loadCode: fixtures.load, onLog });
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const spec = (version: number) =>
    fixtures.spec('wait-until-fetch', { version, concurrency: 1, egress: { allow: [allow] } });
  /** An invocation whose waitUntil work fetches a URL of its own. */
  const start = (
    on: IsolateExecutor,
    fn: Awaited<ReturnType<typeof spec>>,
    deadlineMs = 10_000,
  ) => {
    const ctx = invocationContext({ deadline: Date.now() + deadlineMs });
    return {
      id: ctx.id,
      outcome: on.invoke(fn, eventPayload({ url: `${base}?id=${ctx.id}` }), ctx),
    };
  };
  /** The next line of invocation `id` that starts with `prefix`, skipping others. */
  const lineOf = async (id: string, prefix: string): Promise<string> => {
    for (;;) {
      const line = await lines.get(id).next(5000, `a line "${prefix}..." of ${id}`);
      if (line.startsWith(prefix)) return line;
    }
  };

  test('the reply does not wait for waitUntil work, which still runs and logs afterwards', async () => {
    const fn = await spec(1);
    const first = start(executor, fn);
    const outcome = await first.outcome;
    assert.equal(valueOf(outcome), 'responded');
    const gate = await arrived.get(first.id).next(5000, 'the waitUntil fetch');
    assert.ok(
      outcome.logs.every((entry) => !entry.message.startsWith('waitUntil work done')),
      'the work cannot have finished: the server has not answered',
    );
    assert.match(await lineOf(first.id, 'waitUntil promise rejected'), /Error: background failure/);
    // With concurrency 1, the next invocation needs the isolate the waitUntil work still holds.
    const second = start(executor, fn);
    gate.end('opened');
    assert.equal(await lineOf(first.id, 'waitUntil work done'), 'waitUntil work done 200 opened');
    const next = await second.outcome;
    assert.equal(valueOf(next), 'responded');
    assert.equal(next.coldStart, false, 'the isolate was reused once the work had finished');
    (await arrived.get(second.id).next(5000, 'the second fetch')).end('second');
    assert.equal(await lineOf(second.id, 'waitUntil work done'), 'waitUntil work done 200 second');
  });

  test('waitUntil work still running at the deadline is stopped with its isolate', async () => {
    const fn = await spec(2);
    // Long enough for the fetch to reach the server even on a loaded machine.
    const first = start(executor, fn, 2000);
    assert.equal(valueOf(await first.outcome), 'responded', 'the invocation itself succeeded');
    await arrived.get(first.id).next(5000, 'the waitUntil fetch');
    assert.equal(await dropped.get(first.id).next(5000, 'the host to drop the request'), true);
    const next = start(executor, fn);
    assert.equal((await next.outcome).coldStart, true, 'the isolate that overran was replaced');
    (await arrived.get(next.id).next(5000, 'the fetch of the new isolate')).end('late');
    assert.equal(await lineOf(next.id, 'waitUntil work done'), 'waitUntil work done 200 late');
  });

  test('dispose() lets waitUntil work finish before the isolates go', async () => {
    const local = new IsolateExecutor({ loadCode: fixtures.load, onLog });
    const run = start(local, await spec(3));
    assert.equal(valueOf(await run.outcome), 'responded');
    const gate = await arrived.get(run.id).next(5000, 'the waitUntil fetch');
    let disposed = false;
    const disposing = local.dispose().then(() => (disposed = true));
    await lineOf(run.id, 'waitUntil promise rejected');
    assert.equal(disposed, false, 'dispose waits while the work runs');
    gate.end('bye');
    assert.equal(await lineOf(run.id, 'waitUntil work done'), 'waitUntil work done 200 bye');
    await disposing;
    assert.equal(local.stats().instances, 0);
  });
});
