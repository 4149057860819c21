/**
 * Micro-benchmark of the RabbitMQ adapter's CPU per async message (not a test): confirmed
 * enqueues from a gateway-side broker, consumed through the redelivery guard and acked on a
 * node-side one, both in this process on connections of their own, as bench/micro/rabbitmq-broker.ts
 * does for throughput. It reports this process's CPU time per message, this tree's code against
 * another commit's (`--before COPY`, see before-copy.ts), alternating in rounds after one to warm up, with the medians.
 *
 * Run: node bench/micro/rabbitmq-adapter-cpu.ts --before /tmp/before
 *        [--url amqp://guest:guest@127.0.0.1:5672/VHOST] [--messages N] [--window N] [--rounds N]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { connect } from 'amqplib';
import type { Broker } from '../../core/broker.ts';
import { silentLogger } from '../../core/logger.ts';
import { beforeAndAfter, importFrom, median } from './before-copy.ts';
import { benchMessage } from './broker-messages.ts';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    url: { type: 'string', default: 'amqp://guest:guest@127.0.0.1:5672/fjord-bench' },
    messages: { type: 'string', default: '10000' },
    window: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '7' },
  },
});
const N = Number(values.messages);
/** One topology for every round (each round deletes its function's queue). */
const prefix = `fjord-cpu-${randomBytes(3).toString('hex')}`;
const WINDOW = Number(values.window);
const ROUNDS = Number(values.rounds);

type BrokerCtor = new (options: Record<string, unknown>) => Broker & {
  start(): Promise<void>;
  close(): Promise<void>;
};

async function load(root: string): Promise<BrokerCtor> {
  const module = await importFrom<{ RabbitMqBroker: BrokerCtor }>(
    root,
    'adapters/broker-rabbitmq/index.ts',
  );
  return module.RabbitMqBroker;
}

/** CPU µs of this process per message enqueued, delivered and acked through `Adapter`. */
async function measure(Adapter: BrokerCtor): Promise<number> {
  const open = (role: string) =>
    new Adapter({
      ...{ url: values.url, logger: silentLogger(), prefix },
      connectionName: `${prefix}-${role}`,
    });
  const gateway = open('gateway');
  const node = open('node');
  await gateway.start();
  await node.start();
  const fn = 'cpu';
  try {
    await gateway.declareFunction(fn);
    let seen = 0;
    const { promise: all, resolve } = Promise.withResolvers<void>();
    await node.consume(fn, 256, async (delivery) => {
      delivery.ack();
      if (++seen === N) resolve();
    });
    const cpu = process.cpuUsage();
    let next = 0;
    const sender = async (): Promise<void> => {
      while (next < N) await gateway.enqueue(benchMessage(fn, `${prefix}-${next}`, next++, false));
    };
    await Promise.all(Array.from({ length: WINDOW }, sender));
    await all;
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / N;
  } finally {
    await gateway.deleteFunction(fn).catch(() => undefined);
    await node.close();
    await gateway.close();
  }
}

/** What the rounds' brokers declared besides their function's queue. */
async function deleteTopology(): Promise<void> {
  const connection = await connect(values.url);
  const channel = await connection.createChannel();
  for (const queue of ['results', 'dead-letters', 'retries.orphans']) {
    await channel.deleteQueue(`${prefix}.${queue}`);
  }
  for (const exchange of ['invocations', 'control', 'retries', 'retries.orphans', 'delay']) {
    await channel.deleteExchange(`${prefix}.${exchange}`);
  }
  await connection.close();
}

const variants = await beforeAndAfter(values.before, load);
const figures = new Map<string, number[]>();
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, Adapter] of variants) {
    const us = await measure(Adapter);
    if (r === 0) continue; // warming up the JIT
    figures.set(name, [...(figures.get(name) ?? []), us]);
    console.log(`${name}: ${us.toFixed(1)} µs CPU per message`);
  }
}
await deleteTopology();
for (const [name, us] of figures) {
  console.log(`median ${name}: ${median(us).toFixed(1)} µs CPU per message (${N} messages)`);
}
