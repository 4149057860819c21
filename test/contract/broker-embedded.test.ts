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
import {
  EmbeddedBroker,
  type EmbeddedBrokerOptions,
} from '../../adapters/broker-embedded/index.ts';
import type { BrokerState, InvocationDelivery } from '../../core/broker.ts';
import { silentLogger } from '../../core/logger.ts';
import type { ResultEvent } from '../../core/messages.ts';
import { invocation, resultFor, uniqueName } from '../support/fixtures.ts';
import { Inbox } from '../support/inbox.ts';
import { brokerContract } from './broker.contract.ts';

brokerContract('embedded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fjord-broker-'));
  const path = join(dir, 'broker.db');
  return {
    create: async () => new EmbeddedBroker({ path, logger: silentLogger() }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

/** A broker file in its own temp directory, removed after the test. */
async function tempFile(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fjord-broker-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'broker.db');
}

/** A started instance on `path`, closed after the test (before the file is removed). */
async function open(
  t: TestContext,
  path: string,
  options: Partial<EmbeddedBrokerOptions> = {},
): Promise<EmbeddedBroker> {
  const broker = new EmbeddedBroker({ path, logger: silentLogger(), ...options });
  await broker.start();
  t.after(() => broker.close());
  return broker;
}

const BROKER_MODULE = new URL('../../adapters/broker-embedded/index.ts', import.meta.url).href;
const LOGGER_MODULE = pathToFileURL(join(import.meta.dirname, '../../core/logger.ts')).href;

/** A consumer in another process that prints each delivery and never settles it. */
const CHILD_CONSUMER = `
  const { EmbeddedBroker } = await import(process.env.BROKER_MODULE);
  const { silentLogger } = await import(process.env.LOGGER_MODULE);
  const broker = new EmbeddedBroker({ path: process.env.BROKER_PATH, logger: silentLogger() });
  await broker.start();
  await broker.consume(process.env.FN, 1, async (d) => {
    process.stdout.write(JSON.stringify({ id: d.message.id, attempt: d.attempt }) + '\\n');
  });
`;

describe('EmbeddedBroker', () => {
  test('leases of a process killed with SIGKILL are redelivered when the next instance starts', async (t) => {
    const path = await tempFile(t);
    const fn = uniqueName();
    const publisher = await open(t, path);
    const msg = invocation(fn, 'survive the kill');
    await publisher.enqueue(msg);
    await publisher.close();

    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_CONSUMER], {
      env: { ...process.env, BROKER_MODULE, LOGGER_MODULE, BROKER_PATH: path, FN: fn },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => child.kill('SIGKILL'));
    const exited = once(child, 'exit');
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    assert.deepEqual(JSON.parse(line), { id: msg.id, attempt: 1 });
    child.kill('SIGKILL');
    await exited;

    // Heartbeats far away: only start() can have released the dead process's lease.
    const survivor = await open(t, path, { heartbeatIntervalMs: 60_000, staleAfterMs: 600_000 });
    const inbox = new Inbox<InvocationDelivery>();
    await survivor.consume(fn, 1, async (d) => inbox.push(d));
    const again = await inbox.next(5000, 'redelivery after SIGKILL');
    assert.equal(again.message.id, msg.id);
    assert.equal(again.attempt, 2);
    again.ack();
  });

  test('leases of a silent instance (pid reused) or of no instance at all are released at start', async (t) => {
    const path = await tempFile(t);
    const fn = uniqueName();
    await (await open(t, path)).close(); // creates the schema
    const ghost = invocation(fn, 'held by a frozen instance');
    const orphan = invocation(fn, 'held by nobody');
    const db = new DatabaseSync(path);
    try {
      // This process's pid, so only the stale heartbeat can tell the holder is gone.
      db.prepare('INSERT INTO instances VALUES (?, ?, ?, ?)').run(
        'ghost',
        process.pid,
        0,
        Date.now() - 3_600_000,
      );
      const insert = db.prepare(
        'INSERT INTO messages (queue, id, body, deliveries, lease_owner) VALUES (?, ?, ?, 1, ?)',
      );
      insert.run(fn, ghost.id, JSON.stringify(ghost), 'ghost');
      insert.run(fn, orphan.id, JSON.stringify(orphan), 'unregistered');
    } finally {
      db.close();
    }

    const survivor = await open(t, path);
    const inbox = new Inbox<InvocationDelivery>();
    await survivor.consume(fn, 2, async (d) => inbox.push(d));
    const got = [await inbox.next(), await inbox.next()];
    assert.deepEqual(
      got.map((d) => [d.message.id, d.attempt]),
      [
        [ghost.id, 2],
        [orphan.id, 2],
      ],
    );
    for (const d of got) d.ack();
  });

  test('a sync call whose caller gave up is not delivered, even before its timer fired', async (t) => {
    let skewMs = 0;
    const broker = await open(t, await tempFile(t), { now: () => Date.now() + skewMs });
    const fn = uniqueName();
    const inbox = new Inbox<InvocationDelivery>();
    await broker.consume(fn, 1, async (d) => inbox.push(d));
    await broker.enqueue(invocation(fn, 'blocker'));
    const blocker = await inbox.next();

    const reply = broker.call(
      invocation(fn, 'late', { mode: 'sync', replyBy: Date.now() + 60_000 }),
    );
    skewMs = 120_000; // the deadline passes while the only consumer is busy
    const marker = invocation(fn, 'marker');
    await broker.enqueue(marker);
    blocker.ack();
    await assert.rejects(reply, { code: 'INVOCATION_TIMEOUT' });
    const next = await inbox.next();
    assert.equal(next.message.id, marker.id, 'the expired call was dropped at dispatch');
    next.ack();
  });

  test('a sync call requeued after its deadline is not delivered again', async (t) => {
    let skewMs = 0;
    const broker = await open(t, await tempFile(t), { now: () => Date.now() + skewMs });
    const fn = uniqueName();
    const inbox = new Inbox<InvocationDelivery>();
    await broker.consume(fn, 1, async (d) => inbox.push(d));
    const reply = broker.call(invocation(fn, 'x', { mode: 'sync', replyBy: Date.now() + 60_000 }));
    const first = await inbox.next();
    assert.equal(first.attempt, 1);
    skewMs = 120_000;
    first.requeue();
    await assert.rejects(reply, { code: 'INVOCATION_TIMEOUT' });
    const marker = invocation(fn, 'marker');
    await broker.enqueue(marker);
    assert.equal((await inbox.next()).message.id, marker.id);
  });

  test('a published result is durable across a reopen', async (t) => {
    const path = await tempFile(t);
    const publisher = await open(t, path);
    const msg = invocation(uniqueName(), 'r');
    await publisher.publishResult({ type: 'finished', result: resultFor(msg, 'kept') });
    await publisher.close();

    const gateway = await open(t, path);
    const inbox = new Inbox<ResultEvent>();
    await gateway.consumeResults(async (event) => inbox.push(event));
    for (;;) {
      const event = await inbox.next();
      if (event.type === 'finished' && event.result.id === msg.id) {
        assert.equal(event.result.value, 'kept');
        break;
      }
    }
  });

  test('live instances on one file never take each other’s leases, and see each other’s rows', async (t) => {
    const path = await tempFile(t);
    const fn = uniqueName();
    const a = await open(t, path);
    const inboxA = new Inbox<InvocationDelivery>();
    await a.consume(fn, 1, async (d) => inboxA.push(d));
    const held = invocation(fn, 'held by a');
    await a.enqueue(held);
    const got = await inboxA.next();
    assert.equal(got.message.id, held.id);

    const b = await open(t, path); // start() reaps dead owners: a is alive
    const inboxB = new Inbox<InvocationDelivery>();
    await b.consume(fn, 4, async (d) => inboxB.push(d));
    const fromA = invocation(fn, 'written by a, noticed by b');
    await a.enqueue(fromA); // a's consumer is full: only b's poll can deliver it
    const first = await inboxB.next();
    assert.equal(first.message.id, fromA.id, 'b must not get the row a holds');
    first.ack();
    got.ack();
  });

  test('many commits (WAL checkpointed on a worker thread) lose nothing and close cleanly', async (t) => {
    const path = await tempFile(t);
    const fn = uniqueName();
    const broker = await open(t, path);
    const inbox = new Inbox<InvocationDelivery>();
    await broker.consume(fn, 8, async (d) => {
      inbox.push(d);
      d.ack();
    });
    const sent = Array.from({ length: 600 }, (_, i) => invocation(fn, i));
    for (const m of sent) await broker.enqueue(m); // one commit each: past the worker threshold
    const got: string[] = [];
    while (got.length < sent.length) got.push((await inbox.next()).message.id);
    assert.deepEqual(
      got,
      sent.map((m) => m.id),
      'every message, in order',
    );
    await broker.close();

    const reopened = await open(t, path);
    const marker = invocation(fn, 'marker');
    await reopened.enqueue(marker);
    const left = new Inbox<InvocationDelivery>();
    await reopened.consume(fn, 1, async (d) => left.push(d));
    assert.equal((await left.next()).message.id, marker.id, 'acked messages stay acked');
  });

  test('a consumer that throws is logged, not fatal, and gets the message again', async (t) => {
    const broker = await open(t, await tempFile(t));
    const fn = uniqueName();
    const inbox = new Inbox<InvocationDelivery>();
    await broker.consume(fn, 1, async (d) => {
      inbox.push(d);
      if (d.attempt === 1) throw new Error('handler bug');
    });
    const msg = invocation(fn, 'boom');
    await broker.enqueue(msg);
    assert.equal((await inbox.next()).attempt, 1);
    const again = await inbox.next();
    assert.equal(again.message.id, msg.id);
    assert.equal(again.attempt, 2);
    again.ack();
  });

  test('deleteFunction fails the sync calls still waiting in its queue', async (t) => {
    const broker = await open(t, await tempFile(t));
    const fn = uniqueName();
    const reply = broker.call(invocation(fn, 'x', { mode: 'sync', replyBy: Date.now() + 60_000 }));
    await broker.deleteFunction(fn);
    await assert.rejects(reply, { code: 'FUNCTION_NOT_FOUND' });
  });

  test('state goes connecting, up, closed; close is idempotent and fails waiting callers', async (t) => {
    const broker = new EmbeddedBroker({ path: await tempFile(t), logger: silentLogger() });
    const states: BrokerState[] = [];
    broker.onStateChange((s) => states.push(s));
    assert.equal(broker.state, 'connecting');
    await assert.rejects(broker.enqueue(invocation('f', 1)), { code: 'BROKER_UNAVAILABLE' });
    await broker.start();
    const reply = broker.call(invocation('f', 1, { mode: 'sync', replyBy: Date.now() + 60_000 }));
    await Promise.all([broker.close(), broker.close()]);
    await assert.rejects(reply, { code: 'BROKER_UNAVAILABLE' });
    await assert.rejects(broker.start(), { code: 'BROKER_UNAVAILABLE' });
    assert.deepEqual(states, ['up', 'closed']);
  });
});
