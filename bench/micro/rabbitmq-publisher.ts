/**
 * Micro-benchmark of the RabbitMQ publisher's own CPU per confirmed publish (not a test), without
 * the broker: ConfirmPublisher on a stand-in confirm channel that confirms each message on the
 * next tick, `--window` publishes in flight. What amqplib and the socket cost is left out (see
 * rabbitmq-adapter-cpu.ts for those); this is the record, timer and promise work around them.
 * This tree's code against another commit's (`--before COPY`, see before-copy.ts), alternating in
 * rounds after one to warm up, with the medians.
 *
 * Run: node bench/micro/rabbitmq-publisher.ts --before /tmp/before
 *        [--publishes N] [--window N] [--rounds N]
 */
import { EventEmitter } from 'node:events';
import { parseArgs } from 'node:util';
import { silentLogger } from '../../core/logger.ts';
import { alternateRounds, beforeAndAfter, importFrom } from './before-copy.ts';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    publishes: { type: 'string', default: '100000' },
    window: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '9' },
  },
});
const N = Number(values.publishes);
const WINDOW = Number(values.window);
const ROUNDS = Number(values.rounds);

interface Publisher {
  attach(session: unknown): Promise<void>;
  publish(exchange: string, key: string, body: Buffer, options: object): Promise<void>;
}

/** Confirms every message on the next tick, as a broker that keeps up would, minus the I/O. */
class StandInChannel extends EventEmitter {
  publish(_exchange: string, _key: string, _body: Buffer, _options: object, confirmed: () => void) {
    process.nextTick(confirmed);
    return true;
  }

  async close(): Promise<void> {}
}

async function load(root: string): Promise<Publisher> {
  const { ConfirmPublisher } = await importFrom<{
    ConfirmPublisher: new (options: object) => Publisher;
  }>(root, 'adapters/broker-rabbitmq/publisher.ts');
  const publisher = new ConfirmPublisher({ confirmTimeoutMs: 10_000, logger: silentLogger() });
  const channel = new StandInChannel();
  await publisher.attach({
    alive: true,
    blocked: undefined,
    confirmChannel: async () => channel,
    close: async () => undefined,
  });
  return publisher;
}

/** CPU µs of this process per publish, `WINDOW` in flight. */
async function measure(publisher: Publisher): Promise<number> {
  const body = Buffer.from('x'.repeat(300));
  const options = { persistent: true, type: 'async', unroutable: () => new Error('unroutable') };
  const { promise: done, resolve } = Promise.withResolvers<void>();
  let sent = 0;
  let confirmed = 0;
  const next = (): void => {
    confirmed += 1;
    if (confirmed === N) resolve();
    else if (sent < N) send();
  };
  const send = (): void => {
    sent += 1;
    void publisher.publish('fjord.bench', 'bench', body, options).then(next);
  };
  const cpu = process.cpuUsage();
  for (let i = 0; i < WINDOW && sent < N; i++) send();
  await done;
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / N;
}

const variants = await beforeAndAfter(values.before, load);
await alternateRounds(variants, ROUNDS, measure, { unit: 'publish', count: N });
