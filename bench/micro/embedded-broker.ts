/**
 * Micro-benchmark of the embedded broker through one instance (not a test):
 * - sync call() round trip (call → delivery → reply → caller resolved), p50/p99;
 * - async throughput: enqueue → consume → ack, bare and with the result events the runtime agent
 *   publishes for each invocation (started + finished, consumed and acked like a gateway does).
 *
 * Run: node bench/micro/embedded-broker.ts [--calls N] [--messages N]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddedBroker } from '../../adapters/broker-embedded/index.ts';
import type { Broker } from '../../core/broker.ts';
import { silentLogger } from '../../core/logger.ts';
import type { InvocationMessage, ResultEvent } from '../../core/messages.ts';
import { percentile } from '../support/stats.ts';
import { benchMessage, benchResult as result } from './broker-messages.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '5000' },
    messages: { type: 'string', default: '20000' },
  },
});
const CALLS = Number(values.calls);
const MESSAGES = Number(values.messages);

const message = (fn: string, n: number, sync: boolean): InvocationMessage =>
  benchMessage(fn, `inv-${fn}-${n}`, n, sync);

async function syncRoundTrip(broker: Broker, fn: string, withResults: boolean): Promise<string> {
  await broker.consume(fn, 8, async (d) => {
    await d.reply(result(d));
    if (withResults) await broker.publishResult({ type: 'finished', result: result(d) });
    d.ack();
  });
  const samples: number[] = [];
  for (let i = 0; i < CALLS + 500; i++) {
    const started = performance.now();
    await broker.call(message(fn, i, true));
    if (i >= 500) samples.push((performance.now() - started) * 1000); // after warm-up
  }
  samples.sort((a, b) => a - b);
  const p50 = percentile(samples, 50).toFixed(0);
  return `p50 ${p50} µs, p99 ${percentile(samples, 99).toFixed(0)} µs (${CALLS} sequential calls)`;
}

/** Counts consumed result events per function, so a run can wait until all were recorded. */
class ResultTally {
  readonly #counts = new Map<string, number>();
  readonly #waiters = new Map<string, { target: number; resolve: () => void }>();

  record = async (event: ResultEvent): Promise<void> => {
    const fn = event.type === 'started' ? event.fn : event.result.fn;
    const count = (this.#counts.get(fn) ?? 0) + 1;
    this.#counts.set(fn, count);
    const waiter = this.#waiters.get(fn);
    if (waiter !== undefined && count >= waiter.target) waiter.resolve();
  };

  reached(fn: string, target: number): Promise<void> {
    if ((this.#counts.get(fn) ?? 0) >= target) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.set(fn, { target, resolve });
    return promise;
  }
}

async function asyncThroughput(
  broker: Broker,
  fn: string,
  tally: ResultTally | undefined,
): Promise<string> {
  const withResults = tally !== undefined;
  let acked = 0;
  const { promise: done, resolve } = Promise.withResolvers<void>();
  await broker.consume(fn, 64, async (d) => {
    if (withResults) {
      const { id, fn: spec } = d.message;
      const startedAt = Date.now();
      await broker.publishResult({
        ...{ type: 'started', id, fn: spec.name, node: 'bench', attempt: d.attempt, startedAt },
      });
      await broker.publishResult({ type: 'finished', result: result(d) });
    }
    d.ack();
    if (++acked === MESSAGES) resolve();
  });
  const started = performance.now();
  // Concurrent batches, as requests arriving together over HTTP would enqueue.
  for (let i = 0; i < MESSAGES; i += 100) {
    const batch = Array.from({ length: Math.min(100, MESSAGES - i) }, (_, k) => i + k);
    await Promise.all(batch.map((n) => broker.enqueue(message(fn, n, false))));
  }
  await done;
  // Completed means recorded: wait until the results consumer has seen both events of each.
  await tally?.reached(fn, 2 * MESSAGES);
  const seconds = (performance.now() - started) / 1000;
  return `${Math.round(MESSAGES / seconds)} msg/s (${MESSAGES} messages in ${seconds.toFixed(2)} s)`;
}

const dir = await mkdtemp(join(tmpdir(), 'fjord-bench-'));
const broker = new EmbeddedBroker({ path: join(dir, 'broker.db'), logger: silentLogger() });
try {
  await broker.start();
  const tally = new ResultTally();
  await broker.consumeResults(tally.record);
  const rows: [string, string][] = [
    ['sync call() round trip, reply only', await syncRoundTrip(broker, 'sync-bare', false)],
    ['sync call() round trip, + finished result', await syncRoundTrip(broker, 'sync-full', true)],
    ['async enqueue → consume → ack', await asyncThroughput(broker, 'async-bare', undefined)],
    [
      'async, + started/finished results consumed',
      await asyncThroughput(broker, 'async-full', tally),
    ],
  ];
  console.log(`embedded broker, node ${process.version}, SQLite WAL, synchronous=NORMAL`);
  for (const [what, value] of rows) console.log(`${what.padEnd(44)} ${value}`);
} finally {
  await broker.close();
  await rm(dir, { recursive: true, force: true });
}
