/**
 * The broker's ceiling on this machine: raw amqplib, persistent messages to a durable quorum
 * queue (the queue type Fjord declares) through a confirm channel, consumed with manual acks on
 * a second connection. Same definition as the Fjord rows: publish for `durationS`, then count
 * until every confirmed message was consumed and acked.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import type { ThroughputResult } from '../model.ts';

export interface AmqpThroughputOptions {
  url: string;
  durationS: number;
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

export async function amqpThroughput(options: AmqpThroughputOptions): Promise<ThroughputResult> {
  const queue = `bench.raw.${randomBytes(4).toString('hex')}`;
  const consumerConnection = await connect(options.url, { noDelay: true });
  const publisherConnection = await connect(options.url, { noDelay: true });
  try {
    const consumer = await consumerConnection.createChannel();
    await consumer.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await consumer.prefetch(options.prefetch);
    let consumed = 0;
    let confirmed = 0;
    let publishing = true;
    const { promise: drained, resolve: allConsumed } = Promise.withResolvers<void>();
    await consumer.consume(queue, (m) => {
      if (m === null) return;
      JSON.parse(m.content.toString());
      consumer.ack(m);
      consumed += 1;
      if (!publishing && consumed >= confirmed) allConsumed();
    });
    const publisher = await publisherConnection.createConfirmChannel();
    const started = performance.now();
    const stopAt = started + options.durationS * 1000;
    let n = 0;
    const lane = async (): Promise<void> => {
      while (performance.now() < stopAt) {
        await new Promise<void>((resolve, reject) =>
          publisher.sendToQueue(queue, body(n++), { persistent: true }, (error: unknown) =>
            error ? reject(new Error('publish nacked', { cause: error })) : resolve(),
          ),
        );
        confirmed += 1;
      }
    };
    await Promise.all(Array.from({ length: options.window }, lane));
    const loadS = (performance.now() - started) / 1000;
    publishing = false;
    if (consumed >= confirmed) allConsumed();
    await drained;
    const totalS = (performance.now() - started) / 1000;
    await consumer.deleteQueue(queue);
    await consumer.close();
    await publisher.close();
    return {
      completed: consumed,
      perSecond: consumed / totalS,
      acceptedPerSecond: confirmed / loadS,
      loadS,
      totalS,
      failed: 0,
    };
  } finally {
    // Channels first: closing a connection right after acks can lose them.
    await publisherConnection.close().catch(() => undefined);
    await consumerConnection.close().catch(() => undefined);
  }
}
