/**
 * Micro-benchmark of the embedded broker through one instance (not a test):
 * - sync call() round trip (call → delivery → reply → caller resolved), p50/p99;
 * - async throughput: enqueue → consume → ack, bare and with the result events the runtime agent
 *   publishes for each invocation (started + finished, consumed and acked like a gateway does),
 *   in messages/s and in CPU time of this process (every thread) per message.
 *
 * With `--before COPY` (see before-copy.ts; `core` and `adapters` are enough) the copy's broker
 * and this tree's run alternately, `--rounds` times, each on a fresh file, then the medians.
 *
 * Run: node bench/micro/embedded-broker.ts [--calls N] [--messages N] [--before COPY] [--rounds N]
 *        [--only TEXT (the rows whose title contains it)]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Broker } from '../../core/broker.ts';
import { silentLogger } from '../../core/logger.ts';
import type { InvocationMessage, ResultEvent } from '../../core/messages.ts';
import { percentile } from '../support/stats.ts';
import { beforeAndAfter, importFrom, median } from './before-copy.ts';
import { benchMessage, benchResult as result } from './broker-messages.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '5000' },
    messages: { type: 'string', default: '20000' },
    before: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string', default: '' },
  },
});
const CALLS = Number(values.calls);
const MESSAGES = Number(values.messages);

const message = (fn: string, n: number, sync: boolean): InvocationMessage =>
  benchMessage(fn, `inv-${fn}-${n}`, n, sync);

/** A row's figures, by unit: each is a median over the rounds in the summary. */
type Figures = Record<string, number>;

const show = (figures: Figures): string =>
  Object.entries(figures)
    .map(([unit, value]) => `${value < 100 ? value.toFixed(1) : Math.round(value)} ${unit}`)
    .join(', ');

async function syncRoundTrip(broker: Broker, fn: string, withResults: boolean): Promise<Figures> {
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
  return { 'µs p50': percentile(samples, 50), 'µs p99': percentile(samples, 99) };
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
  batch = 100,
  prefetch = 64,
): Promise<Figures> {
  const withResults = tally !== undefined;
  let acked = 0;
  const { promise: done, resolve } = Promise.withResolvers<void>();
  await broker.consume(fn, prefetch, async (d) => {
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
  const cpu = process.cpuUsage();
  // Concurrent batches, as requests arriving together over HTTP would enqueue. Batches larger
  // than the prefetch leave a backlog; smaller ones find the consumer with room.
  for (let i = 0; i < MESSAGES; i += batch) {
    const numbers = Array.from({ length: Math.min(batch, MESSAGES - i) }, (_, k) => i + k);
    await Promise.all(numbers.map((n) => broker.enqueue(message(fn, n, false))));
  }
  await done;
  // Completed means recorded: wait until the results consumer has seen both events of each.
  await tally?.reached(fn, 2 * MESSAGES);
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  return { 'msg/s': MESSAGES / seconds, 'µs CPU/msg': (used.user + used.system) / MESSAGES };
}

type BrokerClass = new (options: { path: string; logger: unknown }) => Broker;

/** One pass of every row on a fresh file with `EmbeddedBroker`: [row, figure] pairs. */
/** The rows, each measured on `broker` (whose results consumer feeds `tally`). */
const ROWS: [string, (broker: Broker, tally: ResultTally) => Promise<Figures>][] = [
  ['sync call() round trip, reply only', (b) => syncRoundTrip(b, 'sync-bare', false)],
  ['sync call() round trip, + finished result', (b) => syncRoundTrip(b, 'sync-full', true)],
  ['async enqueue → consume → ack', (b) => asyncThroughput(b, 'async-bare', undefined)],
  [
    'async, batches of 32: the consumer has room',
    (b) => asyncThroughput(b, 'async-paced', undefined, 32),
  ],
  [
    'async, prefetch 4 (fn.json default) + backlog',
    (b) => asyncThroughput(b, 'async-prefetch-4', undefined, 100, 4),
  ],
  [
    // Every message enqueued at once, then leased a few at a time from the top of a backlog
    // of thousands of rows, as under the async row's load.
    'async, prefetch 4 + a backlog of every message',
    (b) => asyncThroughput(b, 'async-backlog', undefined, MESSAGES, 4),
  ],
  [
    'async, + started/finished results consumed',
    (b, tally) => asyncThroughput(b, 'async-full', tally),
  ],
];

/** One pass of the rows `--only` selects on a fresh file with `EmbeddedBroker`. */
async function run(EmbeddedBroker: BrokerClass): Promise<[string, Figures][]> {
  const dir = await mkdtemp(join(tmpdir(), 'fjord-bench-'));
  const broker = new EmbeddedBroker({ path: join(dir, 'broker.db'), logger: silentLogger() });
  try {
    await broker.start();
    const tally = new ResultTally();
    await broker.consumeResults(tally.record);
    const figures: [string, Figures][] = [];
    for (const [what, measure] of ROWS) {
      if (what.includes(values.only)) figures.push([what, await measure(broker, tally)]);
    }
    return figures;
  } finally {
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const variants = await beforeAndAfter(
  values.before,
  async (root) =>
    (await importFrom<{ EmbeddedBroker: BrokerClass }>(root, 'adapters/broker-embedded/index.ts'))
      .EmbeddedBroker,
  { required: false },
);
console.log(`embedded broker, node ${process.version}, SQLite WAL, synchronous=NORMAL`);
console.log(
  `${CALLS} sequential calls, ${MESSAGES} async messages (batches of 100 unless said, prefetch 64)`,
);
const rounds = variants.length > 1 ? Number(values.rounds) : 1;
const perRound = new Map<string, Figures[]>();
for (let r = 0; r < rounds; r++) {
  for (const [name, EmbeddedBroker] of variants) {
    for (const [what, figures] of await run(EmbeddedBroker)) {
      const key = variants.length > 1 ? `${name} ${what}` : what;
      console.log(`${key.padEnd(51)} ${show(figures)}`);
      perRound.set(key, [...(perRound.get(key) ?? []), figures]);
    }
  }
}
if (rounds > 1) {
  for (const [key, rows] of perRound) {
    const units = Object.keys(rows[0] ?? {});
    const medians = Object.fromEntries(units.map((u) => [u, median(rows.map((f) => f[u] ?? NaN))]));
    console.log(`median ${key.padEnd(51)} ${show(medians)}`);
  }
}
