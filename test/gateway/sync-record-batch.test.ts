/** The batches in which a gateway records sync results after answering (gateway/sync-record-batch.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../core/logger.ts';
import type { InvocationResult, ResultEvent } from '../../core/messages.ts';
import { SyncRecordBatch } from '../../gateway/sync-record-batch.ts';
import { waitFor } from '../support/inbox.ts';

function result(id: string): InvocationResult {
  return {
    id,
    callId: `call-${id}`,
    fn: 'greet',
    version: 1,
    node: 'node-a',
    attempt: 1,
    status: 'succeeded',
    startedAt: 1,
    endedAt: 2,
    coldStart: false,
    logs: [],
    value: id,
  };
}

const idsOf = (burst: readonly ResultEvent[]): string[] =>
  burst.map((event) => (event.type === 'finished' ? event.result.id : event.id));

function batchWith(options: { delayMs: number; maxSize: number; failRecord?: boolean }) {
  const recorded: { ids: string[]; from: string | undefined }[] = [];
  const queued: ResultEvent[][] = [];
  const batch = new SyncRecordBatch({
    record: async (burst, from) => {
      if (options.failRecord === true) throw new Error('database is locked');
      recorded.push({ ids: idsOf(burst), from });
    },
    broker: {
      publishResults: async (events) => {
        queued.push([...events]);
      },
    },
    logger: silentLogger(),
    delayMs: options.delayMs,
    maxSize: options.maxSize,
  });
  return { batch, recorded, queued };
}

test('sync results waiting together are recorded in one write, from the reply', async () => {
  const { batch, recorded } = batchWith({ delayMs: 60_000, maxSize: 64 });
  batch.add(result('a'));
  batch.add(result('b'));
  batch.add(result('c'));
  assert.deepEqual(recorded, [], 'the first waits for others');
  await batch.settle();
  assert.deepEqual(recorded, [{ ids: ['a', 'b', 'c'], from: 'reply' }]);
  await batch.settle();
  assert.equal(recorded.length, 1, 'nothing is written twice');
});

test('a full batch is written at once, and a waiting one once its delay is over', async () => {
  const { batch, recorded } = batchWith({ delayMs: 1, maxSize: 2 });
  batch.add(result('a'));
  batch.add(result('b'));
  assert.deepEqual(recorded, [{ ids: ['a', 'b'], from: 'reply' }]);
  batch.add(result('c'));
  await waitFor(() => recorded.length === 2, { what: 'the delayed batch' });
  assert.deepEqual(recorded[1]?.ids, ['c']);
});

test('a batch the store cannot write goes to the results queue, one message each, marked sync', async () => {
  const { batch, queued } = batchWith({ delayMs: 60_000, maxSize: 64, failRecord: true });
  batch.add(result('a'));
  batch.add(result('b'));
  await batch.settle();
  // One message per result: a batch of large results could exceed the broker's message size.
  assert.deepEqual(queued.map(idsOf).sort(), [['a'], ['b']]);
  assert.ok(queued.flat().every((event) => event.type === 'finished' && event.sync === true));
});

test('once settling, a result that still comes is written at once and settle waits for it', async () => {
  let release: () => void = () => undefined;
  const recorded: string[][] = [];
  const batch = new SyncRecordBatch({
    record: async (burst) => {
      recorded.push(idsOf(burst));
      // The write of a result answered after settle() began is slow: settle must wait for it.
      if (idsOf(burst).includes('b')) await new Promise<void>((resolve) => (release = resolve));
    },
    broker: { publishResults: async () => undefined },
    logger: silentLogger(),
    delayMs: 60_000,
    maxSize: 64,
  });
  batch.add(result('a'));
  let settled = false;
  const settling = batch.settle().then(() => (settled = true));
  batch.add(result('b'));
  assert.deepEqual(recorded, [['a'], ['b']], 'b is written at once, not after the delay');
  // Let every settled promise run: settle() must still be waiting on b's write.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false, 'settle waits for the write of b');
  release();
  await settling;
  batch.add(result('c'));
  assert.deepEqual(recorded.at(-1), ['c'], 'written at once after settling too');
});
