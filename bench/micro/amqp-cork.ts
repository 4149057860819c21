/**
 * Micro-benchmark of coalesced AMQP writes (not a test): persistent publishes with confirms to a
 * quorum queue (200 in flight) and a consumer acking them on the same connection, as a
 * `fn up` node does, through a connection whose socket writes are coalesced per tick
 * (adapters/broker-rabbitmq/coalesce-writes.ts, what the adapter does now) and through a plain
 * one (one write per frame). The two alternate in rounds in one process, so the machine's load
 * weighs on both alike; the figure that matters is the CPU time per message.
 *
 * Run: node bench/micro/amqp-cork.ts --url amqp://guest:guest@127.0.0.1:5672/VHOST
 *        [--messages N] [--rounds N]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { connect } from 'amqplib';
import { coalesceWrites } from '../../adapters/broker-rabbitmq/coalesce-writes.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'amqp://guest:guest@127.0.0.1:5672/fjord-bench' },
    messages: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
  },
});
const MESSAGES = Number(values.messages);
const ROUNDS = Number(values.rounds);
const WINDOW = 200;
const BODY = Buffer.from(JSON.stringify({ id: 'x'.repeat(26), payload: { n: 1 } }));

type Mode = 'one write per frame' | 'coalesced per tick';

async function round(mode: Mode): Promise<{ perS: number; cpuUs: number }> {
  const connection = await connect(values.url, { noDelay: true });
  if (mode === 'coalesced per tick' && !coalesceWrites(connection)) {
    throw new Error('amqplib socket not found');
  }
  const queue = `bench.cork.${randomBytes(4).toString('hex')}`;
  try {
    const publisher = await connection.createConfirmChannel();
    const consumer = await connection.createChannel();
    await publisher.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await consumer.prefetch(256);
    let consumed = 0;
    const { promise: allConsumed, resolve } = Promise.withResolvers<void>();
    await consumer.consume(queue, (message) => {
      if (message === null) return;
      consumer.ack(message);
      if (++consumed === MESSAGES) resolve();
    });
    const cpu = process.cpuUsage();
    const started = performance.now();
    let sent = 0;
    const sender = async (): Promise<void> => {
      while (sent < MESSAGES) {
        sent += 1;
        await new Promise<void>((done, fail) =>
          publisher.sendToQueue(queue, BODY, { persistent: true }, (error) =>
            error ? fail(error instanceof Error ? error : new Error(String(error))) : done(),
          ),
        );
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, sender));
    await allConsumed;
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    await consumer.close();
    await publisher.deleteQueue(queue);
    await publisher.close();
    return { perS: MESSAGES / seconds, cpuUs: (used.user + used.system) / MESSAGES };
  } finally {
    await connection.close();
  }
}

const totals = new Map<Mode, { perS: number[]; cpuUs: number[] }>();
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of ['one write per frame', 'coalesced per tick'] as const) {
    const { perS, cpuUs } = await round(mode);
    const t = totals.get(mode) ?? { perS: [], cpuUs: [] };
    t.perS.push(perS);
    t.cpuUs.push(cpuUs);
    totals.set(mode, t);
    console.log(`${mode}: ${Math.round(perS)} messages/s, ${cpuUs.toFixed(0)} µs CPU each`);
  }
}
const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
for (const [mode, t] of totals) {
  console.log(
    `median ${mode}: ${Math.round(median(t.perS))}/s, ${median(t.cpuUs).toFixed(1)} µs CPU per message (${MESSAGES} messages, ${WINDOW} in flight)`,
  );
}
