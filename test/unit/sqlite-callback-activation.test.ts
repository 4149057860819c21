/**
 * CallbackRepository.activate on SQLite: with no callback waiting, the activations of one write
 * transaction cost one read in all, not one UPDATE each; a callback created meanwhile, or in a
 * later transaction, is activated. Counts statements, not time.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQLInputValue } from 'node:sqlite';
import { test, type TestContext } from 'node:test';
import { CallbackRepository } from '../../adapters/store-sqlite/callback-repository.ts';
import { Connection, type SqlParams } from '../../adapters/store-sqlite/connection.ts';
import { InvocationRepository } from '../../adapters/store-sqlite/invocation-repository.ts';
import { migrate } from '../../adapters/store-sqlite/schema.ts';
import type { InvocationResult } from '../../core/messages.ts';

class CountingConnection extends Connection {
  updates = 0;
  reads = 0;

  override run(sql: string, params?: SqlParams): { changes: number } {
    if (sql.startsWith('UPDATE callbacks')) this.updates++;
    return super.run(sql, params);
  }

  override runValues(sql: string, values: (SQLInputValue | undefined)[]): { changes: number } {
    if (sql.startsWith('UPDATE callbacks')) this.updates++;
    return super.runValues(sql, values);
  }

  override get<Row>(sql: string, params?: SqlParams): Row | undefined {
    if (sql.includes('FROM callbacks')) this.reads++;
    return super.get<Row>(sql, params);
  }
}

async function open(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'fjord-callback-activation-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = new CountingConnection({
    path: join(dir, 'store.db'),
    synchronous: 'normal',
    busyTimeoutMs: 50,
  });
  t.after(() => db.close());
  migrate(db);
  return { db, callbacks: new CallbackRepository(db), invocations: new InvocationRepository(db) };
}

function succeeded(id: string): InvocationResult {
  return {
    ...{ id, callId: `call-${id}`, fn: 'hello', version: 1, node: 'node-a', attempt: 1 },
    ...{ status: 'succeeded', startedAt: 2000, endedAt: 2001, coldStart: false, cpuMs: 0.1 },
    ...{ value: 1, logs: [] },
  };
}

test('no callback waiting: one read per transaction, no UPDATE per result', async (t) => {
  const { db, callbacks, invocations } = await open(t);
  db.transaction(() => {
    for (let i = 0; i < 5; i++) {
      invocations.recordResult(succeeded(`inv-${i}`));
      callbacks.activate(`inv-${i}`, 3000);
    }
  });
  assert.deepEqual({ updates: db.updates, reads: db.reads }, { updates: 0, reads: 1 });
});

test('a callback created in the transaction, or waiting at its start, is activated', async (t) => {
  const { db, callbacks, invocations } = await open(t);
  db.transaction(() => {
    callbacks.activate('inv-none', 3000);
    invocations.recordResult(succeeded('inv-a'));
    callbacks.create('inv-a', 'hello', 'http://127.0.0.1:9/hook', 3000);
    callbacks.create('inv-b', 'hello', 'http://127.0.0.1:9/hook', 3000);
  });
  assert.equal(callbacks.get('inv-a')?.state, 'pending');
  db.transaction(() => {
    invocations.recordResult(succeeded('inv-b'));
    callbacks.activate('inv-b', 3000);
  });
  assert.equal(callbacks.get('inv-b')?.state, 'pending');
  // Outside a transaction nothing is assumed.
  const updates = db.updates;
  callbacks.activate('inv-none', 3000);
  assert.equal(db.updates, updates + 1);
});
