/**
 * ctx.waitUntil: the reply goes out at once, the work keeps the invocation (its timers, I/O and
 * logs) alive afterwards, within the deadline, and the isolate takes no other invocation until
 * that work is done. The work fetches from a server here that answers only when the test says.
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
import { Inbox, waitFor } from '../support/inbox.ts';

describe('isolate executor: ctx.waitUntil', () => {
  const fixtures = new FixtureBundles();
  const held: ServerResponse[] = [];
  const closed = new Inbox<true>();
  const lines = new Inbox<string>();
  const server = createServer((_req, res) => {
    // Closed before an answer: the client (the host) gave up on the request.
    res.on('close', () => {
      if (!res.writableFinished) closed.push(true);
    });
    held.push(res);
  });
  let executor: IsolateExecutor;
  let url: string;
  let allow: string;

  before(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    url = `http://127.0.0.1:${port}/gate`;
    allow = `127.0.0.1:${port}`;
    executor = new IsolateExecutor({
      loadCode: fixtures.load,
      onLog: (event: LiveLogEvent) => lines.push(event.entry.message),
    });
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const spec = (version: number) =>
    fixtures.spec('wait-until-fetch', { version, concurrency: 1, egress: { allow: [allow] } });

  test('the reply does not wait for waitUntil work, which still runs and logs afterwards', async () => {
    const fn = await spec(1);
    const first = await executor.invoke(fn, eventPayload({ url }), invocationContext());
    assert.equal(valueOf(first), 'responded');
    await waitFor(() => held.length === 1, { what: 'the waitUntil fetch to reach the server' });
    assert.ok(
      first.logs.every((entry) => !entry.message.startsWith('waitUntil work done')),
      'the work cannot have finished: the server has not answered',
    );
    // With concurrency 1, the next invocation needs the isolate the waitUntil work still holds.
    const second = executor.invoke(fn, eventPayload({ url: `${url}?2` }), invocationContext());
    held.shift()?.end('opened');
    assert.match(
      await lines.next(5000, 'the rejected waitUntil promise'),
      /^waitUntil promise rejected: Error: background failure/,
    );
    assert.equal(
      await lines.next(5000, 'the waitUntil log line'),
      'waitUntil work done 200 opened',
    );
    await waitFor(() => held.length === 1, { what: "the second invocation's fetch" });
    const outcome = await second;
    assert.equal(valueOf(outcome), 'responded');
    assert.equal(outcome.coldStart, false, 'the isolate was reused once the work had finished');
    held.shift()?.end('second');
    await lines.next(5000, 'the second rejection');
    assert.equal(await lines.next(5000, 'the second log line'), 'waitUntil work done 200 second');
  });

  test('waitUntil work still running at the deadline is stopped with its isolate', async () => {
    const fn = await spec(2);
    const outcome = await executor.invoke(
      fn,
      eventPayload({ url }),
      // Long enough for the fetch to reach the server even on a loaded machine.
      invocationContext({ deadline: Date.now() + 2000 }),
    );
    assert.equal(valueOf(outcome), 'responded', 'the invocation itself succeeded');
    assert.equal(await closed.next(5000, 'the host to drop the request at the deadline'), true);
    held.shift();
    await lines.next(5000, 'the rejection of the first run');
    const next = await executor.invoke(fn, eventPayload({ url }), invocationContext());
    assert.equal(next.coldStart, true, 'the isolate that overran its deadline was replaced');
    await waitFor(() => held.length === 1, { what: 'the fetch of the new isolate' });
    held.shift()?.end('late');
    await lines.next(5000, 'the rejection of the second run');
    assert.equal(await lines.next(5000, 'the log line'), 'waitUntil work done 200 late');
  });

  test('dispose() lets waitUntil work finish before the isolates go', async () => {
    const local = new IsolateExecutor({
      loadCode: fixtures.load,
      onLog: (event: LiveLogEvent) => lines.push(event.entry.message),
    });
    const outcome = await local.invoke(await spec(3), eventPayload({ url }), invocationContext());
    assert.equal(valueOf(outcome), 'responded');
    await waitFor(() => held.length === 1, { what: 'the waitUntil fetch' });
    let disposed = false;
    const disposing = local.dispose().then(() => (disposed = true));
    await lines.next(5000, 'the rejection');
    assert.equal(disposed, false, 'dispose waits while the work runs');
    held.shift()?.end('bye');
    assert.equal(await lines.next(5000, 'the log line'), 'waitUntil work done 200 bye');
    await disposing;
    assert.equal(local.stats().instances, 0);
  });
});
