import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { describe, test, type TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import { EmbeddedBroker } from '../../adapters/broker-embedded/index.ts';
import type { InvocationDelivery } from '../../core/broker.ts';
import { silentLogger } from '../../core/logger.ts';
import { invocation, uniqueName } from '../support/fixtures.ts';
import { Inbox } from '../support/inbox.ts';

/*
 * An enqueue that finds a consumer of its queue with a free slot in this instance, once the
 * older ready rows are leased, is written already leased (dispatcher.ts). These cases pin what
 * that must keep: the attempt count, settlement, FIFO behind older rows, and the lease going back
 * when the instance stops before the ack.
 */

async function tempFile(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fjord-broker-direct-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'broker.db');
}

async function open(t: TestContext, path: string): Promise<EmbeddedBroker> {
  const broker = new EmbeddedBroker({ path, logger: silentLogger() });
  await broker.start();
  t.after(() => broker.close());
  return broker;
}

/** The row of invocation `id` as another connection reads it from the file. */
function rowOf(path: string, id: string): { deliveries: number; leased: number } | undefined {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const row = db
      .prepare('SELECT deliveries, lease_owner IS NOT NULL AS leased FROM messages WHERE id = ?')
      .get(id) as { deliveries: number; leased: number } | undefined;
    return row && { ...row }; // a plain object: node:sqlite rows have a null prototype
  } finally {
    db.close();
  }
}

/** A consumer in another process that enqueues to itself, prints the delivery, never settles. */
const CHILD = `
  const { EmbeddedBroker } = await import(process.env.BROKER_MODULE);
  const { silentLogger } = await import(process.env.LOGGER_MODULE);
  const broker = new EmbeddedBroker({ path: process.env.BROKER_PATH, logger: silentLogger() });
  await broker.start();
  await broker.consume(process.env.FN, 4, async (d) => {
    process.stdout.write(JSON.stringify({ id: d.message.id, attempt: d.attempt }) + '\\n');
  });
  await broker.enqueue(JSON.parse(process.env.MESSAGE));
`;

describe('EmbeddedBroker, enqueues written leased to a consumer with room', () => {
  test('are delivered at attempt 1, held while unsettled, and gone once acked', async (t) => {
    const path = await tempFile(t);
    const fn = uniqueName();
    const broker = await open(t, path);
    const inbox = new Inbox<InvocationDelivery>();
    await broker.consume(fn, 4, async (d) => inbox.push(d));
    const msg = invocation(fn, 'direct');
    await broker.enqueue(msg);
    const got = await inbox.next();
    assert.deepEqual([got.message, got.attempt], [msg, 1]);
    assert.deepEqual(rowOf(path, msg.id), { deliveries: 1, leased: 1 });

    got.ack();
    await broker.close(); // commits the ack
    assert.equal(rowOf(path, msg.id), undefined);
  });

  test('a requeue makes them ready again, redelivered at attempt 2', async (t) => {
    const broker = await open(t, await tempFile(t));
    const fn = uniqueName();
    const inbox = new Inbox<InvocationDelivery>();
    await broker.consume(fn, 4, async (d) => inbox.push(d));
    const msg = invocation(fn, 'requeued');
    await broker.enqueue(msg);
    const first = await inbox.next();
    assert.equal(first.attempt, 1);
    first.requeue();
    const again = await inbox.next();
    assert.deepEqual([again.message.id, again.attempt], [msg.id, 2]);
    again.ack();
  });

  test('a requeue and an enqueue in one turn: the requeued row goes first (prefetch 1)', async (t) => {
    const broker = await open(t, await tempFile(t));
    const fn = uniqueName();
    const inbox = new Inbox<InvocationDelivery>();
    await broker.consume(fn, 1, async (d) => inbox.push(d));
    const [older, newer] = [invocation(fn, 'older'), invocation(fn, 'newer')];
    await broker.enqueue(older);
    const first = await inbox.next();
    // The slot the requeue frees must not go to the newer message written leased around it.
    first.requeue();
    await broker.enqueue(newer);
    const again = await inbox.next();
    assert.deepEqual([again.message.id, again.attempt], [older.id, 2]);
    again.ack();
    const last = await inbox.next();
    assert.deepEqual([last.message.id, last.attempt], [newer.id, 1]);
    last.ack();
  });

  for (const prefetch of [1, 8]) {
    test(`come after the older ready rows of their queue (prefetch ${prefetch})`, async (t) => {
      const path = await tempFile(t);
      const fn = uniqueName();
      const writer = await open(t, path);
      const older = [invocation(fn, 'old 1'), invocation(fn, 'old 2')];
      for (const m of older) await writer.enqueue(m);
      await writer.close();

      const broker = await open(t, path);
      const inbox = new Inbox<InvocationDelivery>();
      // Subscribed and enqueued in one turn: the round that leases the old rows sees the new one.
      const consuming = broker.consume(fn, prefetch, async (d) => {
        inbox.push(d);
        d.ack();
      });
      const newer = invocation(fn, 'new');
      const enqueued = broker.enqueue(newer);
      await Promise.all([consuming, enqueued]);
      const order = [];
      for (let i = 0; i < 3; i++) order.push((await inbox.next()).message.id);
      assert.deepEqual(
        order,
        [...older, newer].map((m) => m.id),
      );
    });
  }

  test('of one turn beyond the free slots, wait ready in order', async (t) => {
    const broker = await open(t, await tempFile(t));
    const fn = uniqueName();
    const inbox = new Inbox<InvocationDelivery>();
    await broker.consume(fn, 2, async (d) => inbox.push(d));
    const sent = Array.from({ length: 5 }, (_, i) => invocation(fn, i));
    await Promise.all(sent.map((m) => broker.enqueue(m)));
    const got: string[] = [];
    for (let i = 0; i < sent.length; i++) {
      const d = await inbox.next();
      assert.equal(d.attempt, 1);
      got.push(d.message.id);
      d.ack();
    }
    assert.deepEqual(
      got,
      sent.map((m) => m.id),
    );
  });

  test('go back to the queue when the instance closes before the ack', async (t) => {
    const path = await tempFile(t);
    const fn = uniqueName();
    const first = await open(t, path);
    const inbox = new Inbox<InvocationDelivery>();
    await first.consume(fn, 4, async (d) => inbox.push(d));
    const msg = invocation(fn, 'unacked');
    await first.enqueue(msg);
    assert.equal((await inbox.next()).attempt, 1);
    await first.close();

    const second = await open(t, path);
    const again = new Inbox<InvocationDelivery>();
    await second.consume(fn, 4, async (d) => again.push(d));
    const d = await again.next();
    assert.deepEqual([d.message.id, d.attempt], [msg.id, 2]);
    d.ack();
  });

  test('go back to the queue when the process is killed before the ack', async (t) => {
    const path = await tempFile(t);
    const fn = uniqueName();
    await (await open(t, path)).close(); // creates the schema
    const msg = invocation(fn, 'killed');
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: {
        ...process.env,
        BROKER_MODULE: new URL('../../adapters/broker-embedded/index.ts', import.meta.url).href,
        LOGGER_MODULE: pathToFileURL(join(import.meta.dirname, '../../core/logger.ts')).href,
        BROKER_PATH: path,
        FN: fn,
        MESSAGE: JSON.stringify(msg),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => child.kill('SIGKILL'));
    const exited = once(child, 'exit');
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    assert.deepEqual(JSON.parse(line), { id: msg.id, attempt: 1 });
    child.kill('SIGKILL');
    await exited;

    const survivor = await open(t, path); // start() releases the dead process's leases
    const inbox = new Inbox<InvocationDelivery>();
    await survivor.consume(fn, 1, async (d) => inbox.push(d));
    const d = await inbox.next(5000, 'redelivery after SIGKILL');
    assert.deepEqual([d.message.id, d.attempt], [msg.id, 2]);
    d.ack();
  });
});
