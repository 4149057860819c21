/**
 * Micro-benchmark of the RabbitMQ adapter's per-delivery work on a node (not a test), without
 * the broker: an invocation message as amqplib hands it over goes through the invocation
 * consumer (decode, attempt, the delivery object) and the redelivery guard to a handler that
 * acks at once. It reports the CPU time per delivery, this tree's code against another commit's
 * (`--before COPY`, see before-copy.ts), alternating in rounds, with the medians.
 *
 * Run: node bench/micro/rabbitmq-delivery.ts --before /tmp/before [--deliveries N] [--rounds N]
 */
import type { ConsumeMessage } from 'amqplib';
import { parseArgs } from 'node:util';
import type { InvocationHandler } from '../../core/broker.ts';
import { silentLogger, type Logger } from '../../core/logger.ts';
import { alternateRounds, beforeAndAfter, importFrom } from './before-copy.ts';
import { benchMessage } from './broker-messages.ts';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    deliveries: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '9' },
  },
});
const N = Number(values.deliveries);
const ROUNDS = Number(values.rounds);

type Settle = (outcome: 'ack' | 'requeue' | 'reject') => void;
interface Code {
  consumer(handler: InvocationHandler): { onMessage(raw: ConsumeMessage, settle: Settle): void };
  guard(): { wrap(handler: InvocationHandler): InvocationHandler };
}

async function load(root: string): Promise<Code> {
  const { invocationConsumer } = await importFrom<{
    invocationConsumer: (options: Record<string, unknown>) => {
      onMessage(raw: ConsumeMessage, settle: Settle): void;
    };
  }>(root, 'adapters/broker-rabbitmq/invocation-consumer.ts');
  const { RedeliveryGuard } = await importFrom<{
    RedeliveryGuard: new (options: { logger: Logger }) => {
      wrap(handler: InvocationHandler): InvocationHandler;
    };
  }>(root, 'adapters/broker-rabbitmq/redelivery-guard.ts');
  const unused = (): Promise<void> => Promise.resolve();
  return {
    consumer: (handler) =>
      invocationConsumer({
        ...{ fn: 'bench', queue: 'bench', prefetch: 64, handler, logger: silentLogger() },
        ...{ reply: unused, retry: unused, deadLetter: unused },
      }),
    guard: () => new RedeliveryGuard({ logger: silentLogger() }),
  };
}

let round = 0;
/** CPU µs per delivery of N fresh invocations through `code`. */
async function measure(code: Code): Promise<number> {
  round += 1;
  const raws = Array.from({ length: N }, (_, n): ConsumeMessage => {
    const body = JSON.stringify(benchMessage('bench', `r${round}-${n}`, n, false));
    return {
      content: Buffer.from(body),
      fields: {
        ...{ deliveryTag: n + 1, redelivered: false, exchange: '', routingKey: 'bench' },
        consumerTag: 'bench',
      },
      properties: { headers: {} },
    } as unknown as ConsumeMessage;
  });
  let settled = 0;
  const { promise: done, resolve } = Promise.withResolvers<void>();
  const settle: Settle = () => {
    settled += 1;
    if (settled === N) resolve();
  };
  const consumer = code.consumer(
    code.guard().wrap(async (delivery) => {
      delivery.ack();
    }),
  );
  const cpu = process.cpuUsage();
  for (const raw of raws) consumer.onMessage(raw, settle);
  await done;
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / N;
}

const variants = await beforeAndAfter(values.before, load);
await alternateRounds(variants, ROUNDS, measure, { unit: 'delivery', count: N });
