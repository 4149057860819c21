/**
 * Micro-benchmark of the SQLite store's per-invocation writes (not a test): `concurrency`
 * invocations in flight, each recorded as the gateway records it (acceptance, `started`,
 * result), committed one transaction per write (the store before group commit) or through
 * WriteBatch (group commit, what SqliteStore does now). The two modes alternate in rounds in one
 * process on fresh files, so the machine's load weighs on both alike; the figure that matters is
 * the CPU time per invocation (this process, every thread). With --before, this tree's store
 * code (connection, repositories, WriteBatch) against another commit's (a copy made with
 * `git archive COMMIT adapters core | tar -x -C /tmp/before`) instead of one commit per write.
 *
 * Run: node bench/micro/store-writes.ts [--before DIR] [--invocations N] [--concurrency N]
 *        [--rounds N]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AttemptRepository } from '../../adapters/store-sqlite/attempt-repository.ts';
import { CallbackRepository } from '../../adapters/store-sqlite/callback-repository.ts';
import { Connection } from '../../adapters/store-sqlite/connection.ts';
import { InvocationRepository } from '../../adapters/store-sqlite/invocation-repository.ts';
import { LogRepository } from '../../adapters/store-sqlite/log-repository.ts';
import { migrate } from '../../adapters/store-sqlite/schema.ts';
import { WriteBatch } from '../../adapters/store-sqlite/write-batch.ts';
import type { InvocationResult } from '../../core/messages.ts';
import { beforeRoot, importFrom, median } from './before-copy.ts';

const { values } = parseArgs({
  options: {
    invocations: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    before: { type: 'string' },
  },
});
const INVOCATIONS = Number(values.invocations);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);

type Mode = 'one commit per write' | 'group commit' | 'group commit (before)';

/** The store code a round runs: this tree's, or the --before copy's. */
interface StoreCode {
  Connection: typeof Connection;
  migrate: typeof migrate;
  InvocationRepository: typeof InvocationRepository;
  AttemptRepository: typeof AttemptRepository;
  LogRepository: typeof LogRepository;
  CallbackRepository: typeof CallbackRepository;
  WriteBatch: typeof WriteBatch;
}
const THIS_TREE: StoreCode = {
  Connection,
  migrate,
  InvocationRepository,
  AttemptRepository,
  LogRepository,
  CallbackRepository,
  WriteBatch,
};

async function loadCopy(root: string): Promise<StoreCode> {
  const from = (file: string) => importFrom(root, `adapters/store-sqlite/${file}`);
  return {
    ...(await from('connection.ts')),
    ...(await from('schema.ts')),
    ...(await from('invocation-repository.ts')),
    ...(await from('attempt-repository.ts')),
    ...(await from('log-repository.ts')),
    ...(await from('callback-repository.ts')),
    ...(await from('write-batch.ts')),
  } as unknown as StoreCode;
}
const BEFORE = values.before === undefined ? undefined : await loadCopy(beforeRoot(values.before));
const MODES: readonly Mode[] =
  BEFORE === undefined
    ? ['one commit per write', 'group commit']
    : ['group commit (before)', 'group commit'];

async function round(mode: Mode, dir: string, n: number): Promise<{ perS: number; cpuUs: number }> {
  const code = mode === 'group commit (before)' && BEFORE ? BEFORE : THIS_TREE;
  const db = new code.Connection({
    path: join(dir, `${n}.db`),
    synchronous: 'normal',
    busyTimeoutMs: 5000,
  });
  code.migrate(db);
  const invocations = new code.InvocationRepository(db);
  const attempts = new code.AttemptRepository(db);
  const logs = new code.LogRepository(db);
  const callbacks = new code.CallbackRepository(db);
  const batch = new code.WriteBatch(db);
  // Before group commit, a single statement ran in autocommit, several in a transaction.
  const write = (work: () => void, single = false): Promise<void> =>
    mode === 'one commit per write'
      ? Promise.resolve(single ? work() : db.transaction(work))
      : batch.run(work);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < INVOCATIONS) {
      const id = `inv-${next++}`;
      const result: InvocationResult = {
        id,
        callId: `call-${id}`,
        fn: 'bench',
        version: 1,
        node: 'node-a',
        attempt: 1,
        status: 'succeeded',
        startedAt: 2000,
        endedAt: 2001,
        coldStart: false,
        cpuMs: 0.1,
        value: { ok: true },
        logs: [],
      };
      await write(
        () =>
          invocations.create({
            id,
            callId: `call-${id}`,
            fn: 'bench',
            version: 1,
            mode: 'async',
            trigger: 'event',
            status: 'queued',
            attempts: 0,
            queuedAt: 1000,
          }),
        true,
      );
      await write(() => invocations.markStarted(id, 'node-a', 1, 2000), true);
      await write(() => {
        invocations.recordResult(result);
        attempts.record(result);
        logs.appendOnce(result);
        callbacks.activate(id, 3000);
      });
    }
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  db.close();
  return { perS: INVOCATIONS / seconds, cpuUs: (used.user + used.system) / INVOCATIONS };
}

const dir = await mkdtemp(join(tmpdir(), 'fjord-store-writes-'));
const totals = new Map<Mode, { perS: number[]; cpuUs: number[] }>();
try {
  let n = 0;
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of MODES) {
      const { perS, cpuUs } = await round(mode, dir, n++);
      const t = totals.get(mode) ?? { perS: [], cpuUs: [] };
      t.perS.push(perS);
      t.cpuUs.push(cpuUs);
      totals.set(mode, t);
      console.log(`${mode}: ${Math.round(perS)} invocations/s, ${cpuUs.toFixed(0)} µs CPU each`);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
for (const [mode, t] of totals) {
  console.log(
    `median ${mode}: ${Math.round(median(t.perS))}/s, ${median(t.cpuUs).toFixed(0)} µs CPU per invocation (${INVOCATIONS} invocations, ${CONCURRENCY} in flight)`,
  );
}
