/** Store contract: invocation records from acceptance to result, logs, reopening, lifecycle. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Opener } from './store.contract.ts';
import { lines, manifest, queued, result } from './store-fixtures.ts';

export function invocationCases({ open, subject }: Opener): void {
  test('an invocation goes queued, running, succeeded', async (t) => {
    const { store } = await open(t);
    await store.createInvocation(queued('inv-1', 'hello', { trigger: 'http', mode: 'sync' }));
    assert.equal((await store.getInvocation('inv-1'))?.status, 'queued');

    await store.markStarted('inv-1', 'node-a', 1, 2000);
    const running = await store.getInvocation('inv-1');
    assert.equal(running?.status, 'running');
    assert.equal(running?.node, 'node-a');
    assert.equal(running?.attempts, 1);
    assert.equal(running?.startedAt, 2000);

    await store.recordResult(
      result('inv-1', {
        value: undefined,
        response: {
          status: 201,
          headers: [['content-type', 'text/plain']],
          body: Buffer.from('hello world').toString('base64'),
        },
      }),
    );
    assert.deepEqual(await store.getInvocation('inv-1'), {
      id: 'inv-1',
      callId: 'call-inv-1',
      fn: 'hello',
      version: 1,
      mode: 'sync',
      trigger: 'http',
      status: 'succeeded',
      attempts: 1,
      queuedAt: 1000,
      startedAt: 2000,
      endedAt: 2015,
      durationMs: 15,
      coldStart: true,
      cpuMs: 3.5,
      node: 'node-a',
      result: { status: 201, headers: [['content-type', 'text/plain']], bodySize: 11 },
    });
  });

  test('a failed event invocation keeps its error and value-less result', async (t) => {
    const { store } = await open(t);
    await store.createInvocation(queued('inv-f'));
    const error = { code: 'FUNCTION_ERROR' as const, message: 'boom', name: 'TypeError' };
    await store.recordResult(result('inv-f', { status: 'failed', value: undefined, error }));
    const record = await store.getInvocation('inv-f');
    assert.equal(record?.status, 'failed');
    assert.deepEqual(record?.error, error);
    assert.equal('result' in (record ?? {}), false);
    assert.equal(record?.mode, 'async');
  });

  test('a started report after the result does not regress the invocation', async (t) => {
    const { store } = await open(t);
    await store.createInvocation(queued('inv-2'));
    await store.recordResult(result('inv-2', { node: 'node-b' }));
    await store.markStarted('inv-2', 'node-late', 1, 1999);
    const record = await store.getInvocation('inv-2');
    assert.equal(record?.status, 'succeeded');
    assert.equal(record?.node, 'node-b');
    assert.equal(record?.startedAt, 2000);
  });

  test('an earlier attempt starting late does not overwrite a later one', async (t) => {
    const { store } = await open(t);
    await store.createInvocation(queued('inv-3'));
    await store.markStarted('inv-3', 'node-b', 2, 2500);
    await store.markStarted('inv-3', 'node-a', 1, 2000);
    const record = await store.getInvocation('inv-3');
    assert.equal(record?.node, 'node-b');
    assert.equal(record?.attempts, 2);
    assert.equal(record?.startedAt, 2500);
  });

  test('recording the same result twice changes nothing and adds no logs', async (t) => {
    const { store } = await open(t);
    await store.createInvocation(queued('inv-4'));
    const once = result('inv-4', { logs: lines('a', 'b', 'c') });
    await store.recordResult(once);
    const first = await store.getInvocation('inv-4');
    await store.recordResult(structuredClone(once));
    assert.deepEqual(await store.getInvocation('inv-4'), first);
    assert.deepEqual(
      (await store.listLogs('hello')).map((l) => l.message),
      ['a', 'b', 'c'],
    );
  });

  test("an older attempt's result does not overwrite a newer final result", async (t) => {
    const { store } = await open(t);
    await store.createInvocation(queued('inv-5'));
    await store.recordResult(result('inv-5', { attempt: 2, node: 'node-b', value: 'second' }));
    await store.recordResult(
      result('inv-5', {
        attempt: 1,
        node: 'node-a',
        status: 'failed',
        value: undefined,
        error: { code: 'FUNCTION_CRASHED', message: 'crashed' },
        logs: lines('from attempt 1'),
      }),
    );
    const record = await store.getInvocation('inv-5');
    assert.equal(record?.status, 'succeeded');
    assert.equal(record?.attempts, 2);
    assert.equal(record?.node, 'node-b');
    assert.equal(record?.result, 'second');
    assert.equal(record?.error, undefined);
    // The late attempt did run, so its logs are kept.
    assert.deepEqual(
      (await store.listLogs('hello')).map((l) => l.message),
      ['from attempt 1'],
    );
  });

  test('a newer attempt replaces an older failed result', async (t) => {
    const { store } = await open(t);
    await store.recordResult(
      result('inv-6', { status: 'failed', error: { code: 'INTERNAL', message: 'x' } }),
    );
    await store.recordResult(result('inv-6', { attempt: 2, value: null }));
    const record = await store.getInvocation('inv-6');
    assert.equal(record?.status, 'succeeded');
    assert.equal(record?.attempts, 2);
    assert.equal(record?.error, undefined);
    assert.equal(record?.result, null);
  });

  test('a result without a record creates one', async (t) => {
    const { store } = await open(t);
    await store.recordResult(result('inv-7', { startedAt: 4000, endedAt: 4002 }));
    await store.recordResult(
      result('inv-8', { value: undefined, response: { status: 204, headers: [] } }),
    );
    const event = await store.getInvocation('inv-7');
    assert.equal(event?.mode, 'sync');
    assert.equal(event?.trigger, 'event');
    assert.equal(event?.queuedAt, 4000);
    assert.equal(event?.durationMs, 2);
    assert.deepEqual(event?.result, { ok: true });
    const http = await store.getInvocation('inv-8');
    assert.equal(http?.trigger, 'http');
    assert.deepEqual(http?.result, { status: 204, headers: [], bodySize: 0 });
  });

  test("a queue batch's result creates an async record with trigger queue", async (t) => {
    const { store } = await open(t);
    const summary = { queue: 'orders', messages: 2, acked: 2, retried: 0, deadLettered: 0 };
    await store.recordResult(result('inv-q', { trigger: 'queue', value: summary }));
    const record = await store.getInvocation('inv-q');
    assert.equal(record?.trigger, 'queue');
    assert.equal(record?.mode, 'async');
    assert.equal(record?.status, 'succeeded');
    assert.deepEqual(record?.result, summary);
  });

  test('listCancelled: cancelled since a time, latest first, at most limit', async (t) => {
    const { store } = await open(t);
    for (const id of ['c-old', 'c-mid', 'c-new', 'running']) {
      await store.createInvocation(queued(id));
    }
    await store.cancelInvocation('c-old', 1000);
    await store.cancelInvocation('c-mid', 2000);
    await store.cancelInvocation('c-new', 3000);
    await store.markStarted('running', 'node-a', 1, 2500);
    assert.deepEqual(await store.listCancelled(2000, 10), ['c-new', 'c-mid']);
    assert.deepEqual(await store.listCancelled(0, 2), ['c-new', 'c-mid']);
    assert.deepEqual(await store.listCancelled(3001, 10), []);
  });

  test('a late acceptance fills in its facts without losing the recorded result', async (t) => {
    const { store } = await open(t);
    await store.recordResult(result('inv-9'));
    await store.createInvocation(queued('inv-9', 'hello', { mode: 'async', queuedAt: 1500 }));
    const record = await store.getInvocation('inv-9');
    assert.equal(record?.mode, 'async');
    assert.equal(record?.queuedAt, 1500);
    assert.equal(record?.status, 'succeeded');
    assert.equal(record?.attempts, 1);
  });

  test('logs: tail without afterSeq, follow with it, filtered by function and invocation', async (t) => {
    const { store } = await open(t);
    await store.recordResult(result('inv-a', { logs: lines('a1', 'a2', 'a3') }));
    await store.recordResult(result('inv-o', { fn: 'other', logs: lines('o1') }));
    await store.recordResult(result('inv-b', { logs: lines('b1', 'b2') }));

    const all = await store.listLogs('hello');
    assert.deepEqual(
      all.map((l) => l.message),
      ['a1', 'a2', 'a3', 'b1', 'b2'],
    );
    assert.deepEqual(all[0], {
      seq: all[0]?.seq,
      fn: 'hello',
      invocationId: 'inv-a',
      ts: 3000,
      level: 'info',
      message: 'a1',
    });
    const seqs = all.map((l) => l.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((x, y) => x - y),
    );

    assert.deepEqual(
      (await store.listLogs('hello', { limit: 2 })).map((l) => l.message),
      ['b1', 'b2'],
    );
    const third = all[2]?.seq ?? -1;
    assert.deepEqual(
      (await store.listLogs('hello', { afterSeq: third })).map((l) => l.message),
      ['b1', 'b2'],
    );
    assert.deepEqual(
      (await store.listLogs('hello', { afterSeq: all[0]?.seq ?? -1, limit: 2 })).map(
        (l) => l.message,
      ),
      ['a2', 'a3'],
    );
    assert.deepEqual(
      (await store.listLogs('hello', { invocationId: 'inv-a', limit: 2 })).map((l) => l.message),
      ['a2', 'a3'],
    );
    assert.deepEqual(await store.listLogs('hello', { afterSeq: all.at(-1)?.seq ?? -1 }), []);
    assert.deepEqual(
      (await store.listLogs('other')).map((l) => l.message),
      ['o1'],
    );
  });

  test('logs: the limit defaults to 100 and is capped at 1000', async (t) => {
    const { store } = await open(t);
    const many = Array.from({ length: 1100 }, (_, i) => `line ${i}`);
    await store.recordResult(result('inv-many', { logs: lines(...many) }));
    const tail = await store.listLogs('hello');
    assert.equal(tail.length, 100);
    assert.equal(tail[0]?.message, 'line 1000');
    assert.equal(tail.at(-1)?.message, 'line 1099');
    const capped = await store.listLogs('hello', { afterSeq: 0, limit: 5000 });
    assert.equal(capped.length, 1000);
    assert.equal(capped[0]?.message, 'line 0');
  });

  test('data survives close and reopen', async (t) => {
    const { store: first, location } = await open(t);
    const { token, record } = await first.createToken('admin', 'root');
    const version = await first.createVersion(manifest('hello'), 'code');
    await first.createInvocation(queued('inv-r'));
    await first.recordResult(result('inv-r', { logs: lines('kept') }));
    const invocation = await first.getInvocation('inv-r');
    await first.close();

    const { store } = await open(t, location);
    assert.deepEqual(await store.verifyToken(token), record);
    assert.deepEqual((await store.getFunction('hello'))?.active, version);
    assert.equal(await store.getBundle(version.bundleSha), 'code');
    assert.deepEqual(await store.getInvocation('inv-r'), invocation);
    assert.deepEqual(
      (await store.listLogs('hello')).map((l) => l.message),
      ['kept'],
    );
    assert.equal((await store.createVersion(manifest('hello'), 'code 2')).version, 2);
  });

  test('a store that is not open rejects calls', async (t) => {
    const store = subject.create(t, await subject.location(t));
    await assert.rejects(store.listFunctions(), { code: 'INTERNAL' });
    await store.init();
    await store.close();
    await assert.rejects(store.getInvocation('x'), { code: 'INTERNAL' });
  });

  test('a NUL character in a result, an error or a log line does not make it unrecordable', async (t) => {
    const { store } = await open(t);
    const error = { code: 'FUNCTION_ERROR' as const, message: 'bad\0byte' };
    await store.recordResult(
      result('inv-nul', {
        status: 'failed',
        value: { text: 'a\0b' },
        error,
        logs: lines('line\0one'),
      }),
    );
    const record = await store.getInvocation('inv-nul');
    assert.equal(record?.status, 'failed');
    assert.match(record?.error?.message ?? '', /^bad.byte$/);
    assert.match((record?.result as { text: string }).text, /^a.b$/);
    assert.match((await store.listLogs('hello'))[0]?.message ?? '', /^line.one$/);
  });
}
