/**
 * The broker's ceiling on this machine: raw amqplib, persistent messages to a durable quorum
 * queue (the queue type Fjord declares) through a confirm channel, consumed with manual acks on
 * a second connection. Same definition as the Fjord rows: publish for `durationS`, then count
 * until every confirmed message was consumed and acked.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import { loadavg } from 'node:os';
import type { Measured, ThroughputResult } from '../model.ts';

export interface AmqpThroughputOptions {
  url: string;
  durationS: number;
  /** Seconds of the same load first, on the same queue, not counted (0: none). */
  warmupS: number;
  /** Unconfirmed publishes in flight. */
  window: number;
  prefetch: number;
}

/** A message the size of a Fjord async invocation, so bytes per message are comparable. */
function body(n: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: `inv-${randomBytes(8).toString('hex')}`,
      callId: `call-${randomBytes(8).toString('hex')}`,
      fn: { name: 'raw', version: 1, bundleSha: 'a'.repeat(64), runtime: 'isolate' },
      mode: 'async',
      payload: { kind: 'event', data: { n } },
      acceptedAt: Date.now(),
    }),
  );
}

export async function amqpThroughput(
  options: AmqpThroughputOptions,
): Promise<Measured<ThroughputResult>> {
  const queue = `bench.raw.${randomBytes(4).toString('hex')}`;
  const consumerConnection = await connect(options.url, { noDelay: true });
  const publisherConnection = await connect(options.url, { noDelay: true });
  try {
    const consumer = await consumerConnection.createChannel();
    await consumer.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await consumer.prefetch(options.prefetch);
    // Counts of the phase under way (the warm-up, then the measured one).
    let consumed = 0;
    let confirmed = 0;
    let publishing = true;
    let allConsumed: () => void = () => {};
    await consumer.consume(queue, (m) => {
      if (m === null) return;
      JSON.parse(m.content.toString());
      consumer.ack(m);
      consumed += 1;
      if (!publishing && consumed >= confirmed) allConsumed();
    });
    const publisher = await publisherConnection.createConfirmChannel();
    let n = 0;
    /** Publishes for `seconds`, then waits until every confirmed message was consumed. */
    const phase = async (seconds: number): Promise<ThroughputResult> => {
      consumed = 0;
      confirmed = 0;
      publishing = true;
      const { promise: drained, resolve } = Promise.withResolvers<void>();
      allConsumed = resolve;
      const started = performance.now();
      const stopAt = started + seconds * 1000;
      const lane = async (): Promise<void> => {
        while (performance.now() < stopAt) {
          await new Promise<void>((done, reject) =>
            publisher.sendToQueue(queue, body(n++), { persistent: true }, (error: unknown) =>
              error ? reject(new Error('publish nacked', { cause: error })) : done(),
            ),
          );
          confirmed += 1;
        }
      };
      await Promise.all(Array.from({ length: options.window }, lane));
      const loadS = (performance.now() - started) / 1000;
      publishing = false;
      if (consumed >= confirmed) resolve();
      await drained;
      const totalS = (performance.now() - started) / 1000;
      return {
        completed: consumed,
        perSecond: consumed / totalS,
        acceptedPerSecond: confirmed / loadS,
        loadS,
        totalS,
        failed: 0,
      };
    };
    // Same queue and connections as the measured phase, as Fjord's warm-up is.
    if (options.warmupS > 0) await phase(options.warmupS);
    // The load average of the measured phase, read as it starts (as for Fjord).
    const load1 = loadavg()[0] ?? 0;
    const result = { ...(await phase(options.durationS)), load1 };
    await consumer.deleteQueue(queue);
    await consumer.close();
    await publisher.close();
    return result;
  } finally {
    // Channels first: closing a connection right after acks can lose them.
    await publisherConnection.close().catch(() => undefined);
    await consumerConnection.close().catch(() => undefined);
  }
}
