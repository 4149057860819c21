/**
 * Micro-benchmark of the RabbitMQ broker adapter (not a test), side by side in one run with raw
 * amqplib doing the same work, so the adapter's overhead is what the numbers show:
 * - sync round trip: call() → delivery → reply → caller resolved, sequential, p50/p99; against
 *   raw direct reply-to RPC to the same kind of quorum queue, and to a classic queue (the anchor);
 * - async throughput: enqueue (confirmed) → consume → ack, with a window of unconfirmed enqueues.
 * A gateway-side instance and a node-side instance use separate connections, as in production.
 *
 * Run: node bench/micro/rabbitmq-broker.ts [--url amqp://...] [--calls N] [--messages N] [--window N]
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { RabbitMqBroker } from '../../adapters/broker-rabbitmq/index.ts';
import { silentLogger } from '../../core/logger.ts';
import type { InvocationMessage } from '../../core/messages.ts';
import { percentile } from '../support/stats.ts';
import { benchMessage, benchResult as result } from './broker-messages.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.FN_TEST_AMQP_URL ?? 'amqp://127.0.0.1:5672' },
    calls: { type: 'string', default: '3000' },
    messages: { type: 'string', default: '20000' },
    window: { type: 'string', default: '500' },
  },
});
const AMQP_URL = values.url;
const CALLS = Number(values.calls);
const MESSAGES = Number(values.messages);
const WINDOW = Number(values.window);
const PREFIX = `fjord-bench-${randomBytes(3).toString('hex')}`;

const message = (fn: string, n: number, sync: boolean): InvocationMessage =>
  benchMessage(fn, `inv-${n}`, n, sync);

/** Times `once` CALLS times in a row after a warm-up; returns [p50, p99] in ms. */
async function roundTrips(once: (n: number) => Promise<unknown>): Promise<[number, number]> {
  for (let n = 0; n < 200; n++) await once(n);
  const times: number[] = [];
  for (let n = 0; n < CALLS; n++) {
    const start = performance.now();
    await once(n);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return [percentile(times, 50), percentile(times, 99)];
}

async function adapterCalls(gateway: RabbitMqBroker, node: RabbitMqBroker) {
  const fn = 'sync';
  await gateway.declareFunction(fn);
  await node.consume(fn, 16, async (d) => {
    await d.reply(result(d));
    d.ack();
  });
  return roundTrips((n) => gateway.call(message(fn, n, true)));
}

/** The same RPC with bare amqplib: what the adapter is measured against. */
async function rawCalls(queueArguments: Record<string, unknown>) {
  const queue = `${PREFIX}.raw.${String(queueArguments['x-queue-type'])}`;
  const server = await connect(AMQP_URL, { noDelay: true });
  const client = await connect(AMQP_URL, { noDelay: true });
  try {
    const sch = await server.createChannel();
    await sch.assertQueue(queue, { durable: true, arguments: queueArguments });
    await sch.prefetch(16);
    await sch.consume(queue, (m) => {
      if (!m) return;
      sch.publish('', String(m.properties.replyTo), m.content, {
        correlationId: String(m.properties.correlationId),
      });
      sch.ack(m);
    });
    const cch = await client.createChannel();
    const waiting = new Map<string, () => void>();
    await cch.consume(
      'amq.rabbitmq.reply-to',
      (m: ConsumeMessage | null) => waiting.get(String(m?.properties.correlationId))?.(),
      { noAck: true },
    );
    const body = Buffer.from(JSON.stringify(message('raw', 0, true)));
    const percentiles = await roundTrips((n) =>
      new Promise<void>((resolve) => {
        waiting.set(String(n), resolve);
        cch.sendToQueue(queue, body, {
          replyTo: 'amq.rabbitmq.reply-to',
          correlationId: String(n),
          expiration: '5000',
        });
      }).finally(() => waiting.delete(String(n))),
    );
    await sch.deleteQueue(queue);
    return percentiles;
  } finally {
    await closeAll(client, server);
  }
}

async function closeAll(...connections: ChannelModel[]): Promise<void> {
  for (const c of connections) await c.close().catch(() => undefined);
}

/** Resolves once `count` was called MESSAGES times. */
function counter(): { count: () => void; done: Promise<void> } {
  let seen = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return { count: () => void (++seen === MESSAGES && resolve()), done };
}

/** Runs `send` MESSAGES times with up to WINDOW in flight; rates up to confirmed and consumed. */
async function pump(send: (n: number) => Promise<void>, consumed: Promise<void>) {
  const start = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < MESSAGES) await send(next++);
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  const confirmedMs = performance.now() - start;
  await consumed;
  const totalMs = performance.now() - start;
  return {
    'confirmed/s': Math.round(MESSAGES / (confirmedMs / 1000)),
    'end-to-end/s': Math.round(MESSAGES / (totalMs / 1000)),
  };
}

/** Confirmed enqueues through the adapter, consumed and acked on the node side. */
async function adapterThroughput(gateway: RabbitMqBroker, node: RabbitMqBroker) {
  const fn = 'async';
  await gateway.declareFunction(fn);
  const { count, done } = counter();
  await node.consume(fn, 256, async (d) => {
    d.ack();
    count();
  });
  return pump((n) => gateway.enqueue(message(fn, n, false)), done);
}

/** The same pipeline with bare amqplib on a quorum queue: confirm channel, window, acks. */
async function rawThroughput() {
  const queue = `${PREFIX}.raw.async`;
  const server = await connect(AMQP_URL, { noDelay: true });
  const client = await connect(AMQP_URL, { noDelay: true });
  try {
    const sch = await server.createChannel();
    await sch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await sch.prefetch(256);
    const { count, done } = counter();
    await sch.consume(queue, (m) => {
      if (!m) return;
      JSON.parse(m.content.toString());
      sch.ack(m);
      count();
    });
    const cch = await client.createConfirmChannel();
    const rates = await pump((n) => {
      const body = Buffer.from(JSON.stringify(message('raw', n, false)));
      return new Promise<void>((resolve, reject) =>
        cch.sendToQueue(queue, body, { persistent: true }, (e: unknown) =>
          e ? reject(new Error('nacked', { cause: e })) : resolve(),
        ),
      );
    }, done);
    await sch.deleteQueue(queue);
    return rates;
  } finally {
    await closeAll(client, server);
  }
}

async function deleteTopology(): Promise<void> {
  const connection = await connect(AMQP_URL);
  const channel: Channel = await connection.createChannel();
  for (const fn of ['sync', 'async']) await channel.deleteQueue(`${PREFIX}.fn.${fn}`);
  await channel.deleteQueue(`${PREFIX}.results`);
  await channel.deleteExchange(`${PREFIX}.invocations`);
  await channel.deleteExchange(`${PREFIX}.control`);
  await closeAll(connection);
}

const ms = (x: number): string => `${x.toFixed(2)} ms`;
const open = (role: string): RabbitMqBroker =>
  new RabbitMqBroker({
    url: AMQP_URL,
    logger: silentLogger(),
    prefix: PREFIX,
    connectionName: `${PREFIX}-${role}`,
  });

const gateway = open('gateway');
const node = open('node');
try {
  await gateway.start();
  await node.start();
  const [rawClassic50, rawClassic99] = await rawCalls({ 'x-queue-type': 'classic' });
  const [rawQuorum50, rawQuorum99] = await rawCalls({ 'x-queue-type': 'quorum' });
  const [adapter50, adapter99] = await adapterCalls(gateway, node);
  const raw = await rawThroughput();
  const throughput = await adapterThroughput(gateway, node);
  console.log(`RabbitMQ broker adapter, ${CALLS} sequential calls, ${MESSAGES} async messages`);
  console.table([
    { what: 'sync call() round trip, adapter (quorum)', p50: ms(adapter50), p99: ms(adapter99) },
    { what: 'raw amqplib RPC, quorum queue', p50: ms(rawQuorum50), p99: ms(rawQuorum99) },
    {
      what: 'raw amqplib RPC, classic queue (anchor 0.6 ms)',
      p50: ms(rawClassic50),
      p99: ms(rawClassic99),
    },
  ]);
  console.table([
    { what: `async enqueue → consume → ack, adapter (window ${WINDOW})`, ...throughput },
    { what: 'raw amqplib, confirm channel, quorum queue', ...raw },
  ]);
} finally {
  await node.close();
  await gateway.close();
  await deleteTopology();
}
