/**
 * Micro-benchmark of the node's side of sync calls (not a test): a runtime agent on RabbitMQ
 * with a stand-in executor that answers at once (function concurrency 4, as the bench's), called
 * with 10 calls in flight, with results consumed and acked as a gateway would. This tree's
 * agent against another commit's (a copy of its `runtime`, `core` and `adapters` folders, made as
 * in sync-calls.ts), alternating in rounds in one process; both use that copy's broker adapter.
 *
 * Run: node bench/micro/sync-agent.ts --before /tmp/before
 *        [--url amqp://guest:guest@127.0.0.1:5672/fjord-bench] [--calls N] [--rounds N]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Broker } from '../../core/broker.ts';
import type { ExecutionOutcome, Executor } from '../../core/executor.ts';
import { silentLogger } from '../../core/logger.ts';
import type { FunctionSpec, InvocationMessage } from '../../core/messages.ts';
import { beforeRoot, importFrom, median, THIS_TREE } from './before-copy.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'amqp://guest:guest@127.0.0.1:5672/fjord-bench' },
    before: { type: 'string' },
    calls: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '10' },
  },
});
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);

interface Agent {
  start(): Promise<void>;
  drain(graceMs?: number): Promise<number>;
}
type AgentClass = new (options: Record<string, unknown>) => Agent;
type BrokerClass = new (options: Record<string, unknown>) => Broker;

async function load(root: string): Promise<{ Agent: AgentClass; Broker: BrokerClass }> {
  const agent = await importFrom<{ RuntimeAgent: AgentClass }>(root, 'runtime/agent.ts');
  const broker = await importFrom<{ RabbitMqBroker: BrokerClass }>(
    root,
    'adapters/broker-rabbitmq/index.ts',
  );
  return { Agent: agent.RuntimeAgent, Broker: broker.RabbitMqBroker };
}

const executor: Executor = {
  invoke: async () =>
    ({
      ok: true,
      value: 'ok',
      coldStart: false,
      durationMs: 0,
      logs: [],
    }) satisfies ExecutionOutcome,
  evict: async () => undefined,
  stats: () => ({ instances: 1, coldStarts: 0, invocations: 0 }),
  dispose: async () => undefined,
};

async function round(code: { Agent: AgentClass; Broker: BrokerClass }) {
  const prefix = `bench-agent-${randomBytes(4).toString('hex')}`;
  const fn: FunctionSpec = {
    name: 'sync-agent',
    version: 1,
    bundleSha: 'a'.repeat(64),
    runtime: 'isolate',
    memoryMb: 128,
    timeoutMs: 10_000,
    concurrency: 4,
    env: {},
  };
  const broker = new code.Broker({ url: values.url, logger: silentLogger(), prefix });
  await broker.start();
  await broker.consumeResults(async () => undefined);
  const agent = new code.Agent({
    broker,
    executor,
    directory: { list: async () => [fn] },
    logger: silentLogger(),
    nodeId: 'bench',
    prewarm: 0,
  });
  await agent.start();
  const call = (n: number): Promise<unknown> => {
    const now = Date.now();
    const message: InvocationMessage = {
      id: `bench-${n}-${randomBytes(4).toString('hex')}`,
      callId: `call-${n}`,
      fn,
      mode: 'sync',
      payload: { kind: 'event', data: n },
      acceptedAt: now,
      replyBy: now + 10_000,
    };
    return broker.call(message);
  };
  try {
    for (let n = 0; n < 100; n++) await call(n);
    const latencies: number[] = [];
    const started = performance.now();
    let next = 0;
    const caller = async (): Promise<void> => {
      while (next < CALLS) {
        next += 1;
        const sent = performance.now();
        await call(next);
        latencies.push(performance.now() - sent);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, caller));
    const perS = latencies.length / ((performance.now() - started) / 1000);
    latencies.sort((a, b) => a - b);
    return { perS, p50: latencies[Math.floor(latencies.length / 2)] ?? NaN };
  } finally {
    await agent.drain(1000);
    await broker.deleteFunction(fn.name).catch(() => undefined);
    await broker.close();
  }
}

const before = await load(beforeRoot(values.before));
const variants = [
  ['before', before],
  ['after', { ...(await load(THIS_TREE)), Broker: before.Broker }],
] as const;
const results = new Map<string, { perS: number; p50: number }[]>();
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, code] of variants) {
    const f = await round(code);
    results.set(name, [...(results.get(name) ?? []), f]);
    console.log(`${name} c=${CONCURRENCY}: ${Math.round(f.perS)}/s, p50 ${f.p50.toFixed(2)} ms`);
  }
}
for (const [name, figures] of results) {
  console.log(
    `median ${name} c=${CONCURRENCY}: ${Math.round(median(figures.map((f) => f.perS)))}/s, ` +
      `p50 ${median(figures.map((f) => f.p50)).toFixed(2)} ms (${CALLS} calls)`,
  );
}
