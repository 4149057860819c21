/**
 * The client side of the raw amqplib RPC anchor: `connections` callers, each sending its next
 * request when the previous reply arrived (closed loop, like autocannon's connections), over
 * direct reply-to, with a per-message expiration as Fjord's sync calls carry.
 */
import { randomBytes } from 'node:crypto';
import { connect, type ConsumeMessage } from 'amqplib';
import type { LoadRun } from '../support/load-run.ts';

export async function amqpRpcLoad(
  url: string,
  queue: string,
  connections: number,
  durationS: number,
): Promise<LoadRun> {
  const connection = await connect(url, { noDelay: true });
  try {
    const channel = await connection.createChannel();
    const waiting = new Map<string, () => void>();
    await channel.consume(
      'amq.rabbitmq.reply-to',
      (m: ConsumeMessage | null) => {
        const id = String(m?.properties.correlationId);
        waiting.get(id)?.();
        waiting.delete(id);
      },
      { noAck: true },
    );
    // About the size of a Fjord sync invocation: a function spec and an HTTP request.
    const padding = randomBytes(160).toString('hex');
    const latenciesMs: number[] = [];
    let sequence = 0;
    const started = performance.now();
    const stopAt = started + durationS * 1000;
    const caller = async (): Promise<void> => {
      while (performance.now() < stopAt) {
        const id = String(sequence++);
        const sent = performance.now();
        await new Promise<void>((resolve) => {
          waiting.set(id, resolve);
          const body = Buffer.from(JSON.stringify({ n: sequence, padding }));
          channel.sendToQueue(queue, body, {
            replyTo: 'amq.rabbitmq.reply-to',
            correlationId: id,
            expiration: '5000',
          });
        });
        latenciesMs.push(performance.now() - sent);
      }
    };
    await Promise.all(Array.from({ length: connections }, caller));
    const seconds = (performance.now() - started) / 1000;
    await channel.close();
    return { latenciesMs, durationS: seconds, errors: 0 };
  } finally {
    await connection.close().catch(() => undefined);
  }
}
