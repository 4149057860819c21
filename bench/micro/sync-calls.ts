/**
 * Micro-benchmark of sync calls through the RabbitMQ adapter (not a test): `broker.call()` to a
 * consumer in the same process that replies at once, sequentially (c=1) and with 10 in flight
 * (c=10), through this tree's adapter and through the adapter of another commit, alternating in
 * rounds in one process so the machine's load weighs on both alike. Reports latency percentiles,
 * the CPU time per call of this process and of the RabbitMQ server (its beam.smp process).
 *
 * The other commit's adapter is a copy of its `adapters/broker-rabbitmq` and `core` folders:
 *   mkdir -p /tmp/before && git archive COMMIT adapters/broker-rabbitmq core | tar -x -C /tmp/before
 *   ln -s "$PWD/node_modules" /tmp/before/node_modules
 *
 * Run: node bench/micro/sync-calls.ts --before /tmp/before
 *        [--url amqp://guest:guest@127.0.0.1:5672/fjord-bench] [--calls N] [--rounds N]
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Broker } from '../../core/broker.ts';
import { silentLogger } from '../../core/logger.ts';
import type { InvocationMessage, InvocationResult } from '../../core/messages.ts';
import { beforeAndAfter, importFrom, median } from './before-copy.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'amqp://guest:guest@127.0.0.1:5672/fjord-bench' },
    before: { type: 'string' },
    calls: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
  },
});
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);

type BrokerClass = new (options: {
  url: string;
  logger: ReturnType<typeof silentLogger>;
  prefix: string;
}) => Broker;

async function brokerClass(root: string): Promise<BrokerClass> {
  const module = await importFrom<{ RabbitMqBroker: BrokerClass }>(
    root,
    'adapters/broker-rabbitmq/index.ts',
  );
  return module.RabbitMqBroker;
}

/** CPU seconds (user + system) of RabbitMQ's beam.smp so far, or NaN when it is not found. */
function brokerCpuS(): number {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'beam.smp') continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      continue; // gone meanwhile
    }
  }
  return NaN;
}

function message(fn: string, n: number): InvocationMessage {
  const now = Date.now();
  return {
    id: `bench-${n}-${randomBytes(4).toString('hex')}`,
    callId: `call-${n}`,
    fn: {
      name: fn,
      version: 1,
      bundleSha: 'a'.repeat(64),
      runtime: 'isolate',
      timeoutMs: 10_000,
      memoryMb: 128,
      concurrency: 4,
      env: {},
    },
    mode: 'sync',
    payload: { kind: 'event', data: { n } },
    acceptedAt: now,
    replyBy: now + 10_000,
  };
}

interface Figures {
  p50: number;
  p99: number;
  perS: number;
  cpuUs: number;
  brokerCpuUs: number;
}

async function round(Broker: BrokerClass, concurrency: number): Promise<Figures> {
  const prefix = `bench-sync-${randomBytes(4).toString('hex')}`;
  const broker = new Broker({ url: values.url, logger: silentLogger(), prefix });
  await broker.start();
  const fn = 'sync-bench';
  try {
    await broker.declareFunction(fn);
    await broker.consume(fn, 4, async (d) => {
      const at = Date.now();
      const result: InvocationResult = {
        id: d.message.id,
        callId: d.message.callId,
        fn,
        version: 1,
        node: 'bench',
        attempt: d.attempt,
        startedAt: at,
        endedAt: at,
        coldStart: false,
        logs: [],
        status: 'succeeded',
        value: 'ok',
      };
      await d.reply(result);
      d.ack();
    });
    for (let n = 0; n < 200; n++) await broker.call(message(fn, n)); // warm-up
    const latencies: number[] = [];
    const cpu = process.cpuUsage();
    const brokerCpu = brokerCpuS();
    const started = performance.now();
    let next = 0;
    const caller = async (): Promise<void> => {
      while (next < CALLS) {
        next += 1;
        const sent = performance.now();
        await broker.call(message(fn, next));
        latencies.push(performance.now() - sent);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, caller));
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    latencies.sort((a, b) => a - b);
    const at = (q: number): number => latencies[Math.floor(q * (latencies.length - 1))] ?? NaN;
    return {
      p50: at(0.5),
      p99: at(0.99),
      perS: latencies.length / seconds,
      cpuUs: (used.user + used.system) / latencies.length,
      brokerCpuUs: ((brokerCpuS() - brokerCpu) * 1e6) / latencies.length,
    };
  } finally {
    await broker.deleteFunction(fn).catch(() => undefined);
    await broker.close();
  }
}

const variants = await beforeAndAfter(values.before, brokerClass);
const results = new Map<string, Figures[]>();
for (let r = 0; r < ROUNDS; r++) {
  for (const concurrency of [1, 10]) {
    for (const [name, Broker] of variants) {
      const f = await round(Broker, concurrency);
      const key = `${name} c=${concurrency}`;
      results.set(key, [...(results.get(key) ?? []), f]);
      console.log(
        `${key}: p50 ${f.p50.toFixed(2)} ms, p99 ${f.p99.toFixed(2)} ms, ${Math.round(f.perS)}/s, ` +
          `${f.cpuUs.toFixed(0)} µs CPU here + ${f.brokerCpuUs.toFixed(0)} µs in RabbitMQ per call`,
      );
    }
  }
}
for (const [key, figures] of results) {
  const m = (pick: (f: Figures) => number): number => median(figures.map(pick));
  console.log(
    `median ${key}: p50 ${m((f) => f.p50).toFixed(2)} ms, p99 ${m((f) => f.p99).toFixed(2)} ms, ` +
      `${Math.round(m((f) => f.perS))}/s, ${m((f) => f.cpuUs).toFixed(0)} µs CPU here + ` +
      `${m((f) => f.brokerCpuUs).toFixed(0)} µs in RabbitMQ per call (${CALLS} calls)`,
  );
}
