/**
 * Micro-benchmark of the RabbitMQ RPC client's own CPU per sync call and per reply (not a test),
 * without the broker: RpcClient on a stand-in channel that answers each request on the next tick
 * through the reply consumer, `--window` calls in flight; then `reply()` alone, the node's side.
 * What amqplib and the socket cost is left out (see sync-calls.ts for the whole path). This
 * tree's code against another commit's (`--before COPY`, see before-copy.ts), alternating in
 * rounds after one to warm up, with the medians.
 *
 * Run: node bench/micro/rpc-client.ts --before /tmp/before [--calls N] [--window N] [--rounds N]
 */
import { EventEmitter } from 'node:events';
import { parseArgs } from 'node:util';
import { silentLogger } from '../../core/logger.ts';
import type { InvocationMessage, InvocationResult } from '../../core/messages.ts';
import { alternateRounds, beforeAndAfter, importFrom } from './before-copy.ts';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    calls: { type: 'string', default: '100000' },
    window: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '9' },
  },
});
const N = Number(values.calls);
const WINDOW = Number(values.window);
const ROUNDS = Number(values.rounds);

interface Client {
  call(message: InvocationMessage): Promise<InvocationResult>;
  reply(replyTo: string, correlationId: string, result: InvocationResult): Promise<void>;
}

const RESULT = Buffer.from(JSON.stringify({ id: 'r', status: 'succeeded', logs: [] }));

/** Answers every request on the next tick through the reply consumer, minus the I/O. */
class StandInChannel extends EventEmitter {
  #onReply: (message: object) => void = () => undefined;

  async consume(_queue: string, onMessage: (message: object) => void): Promise<void> {
    this.#onReply = onMessage;
  }

  publish(_exchange: string, _key: string, _body: Buffer, options: { correlationId?: string }) {
    const { correlationId } = options;
    if (correlationId !== undefined && _key !== 'caller') {
      process.nextTick(() => this.#onReply({ properties: { correlationId }, content: RESULT }));
    }
    return true;
  }

  async close(): Promise<void> {}
}

async function load(root: string): Promise<Client> {
  const { RpcClient } = await importFrom<{
    RpcClient: new (options: object) => Client & {
      attach(session: unknown): Promise<void>;
    };
  }>(root, 'adapters/broker-rabbitmq/rpc-client.ts');
  const topology = await importFrom<{ namesFor: (prefix: string) => object }>(
    root,
    'adapters/broker-rabbitmq/topology.ts',
  );
  const client = new RpcClient({ logger: silentLogger(), names: topology.namesFor('bench') });
  const channel = new StandInChannel();
  await client.attach({
    alive: true,
    blocked: undefined,
    channel: async () => channel,
    close: async () => undefined,
  });
  return client;
}

const MESSAGE = {
  id: 'inv-bench',
  callId: 'call-bench',
  fn: { name: 'bench' },
  mode: 'sync',
  payload: { kind: 'event', data: 1 },
  acceptedAt: 0,
} as unknown as InvocationMessage;

/** CPU µs of this process per call (request out, reply in), `WINDOW` in flight. */
async function measureCalls(client: Client): Promise<number> {
  const message = { ...MESSAGE, replyBy: Date.now() + 600_000 };
  const { promise: done, resolve } = Promise.withResolvers<void>();
  let sent = 0;
  let answered = 0;
  const next = (): void => {
    answered += 1;
    if (answered === N) resolve();
    else if (sent < N) send();
  };
  const send = (): void => {
    sent += 1;
    void client.call(message).then(next);
  };
  const cpu = process.cpuUsage();
  for (let i = 0; i < WINDOW && sent < N; i++) send();
  await done;
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / N;
}

/** CPU µs of this process per reply sent, `WINDOW` at a time. */
async function measureReplies(client: Client): Promise<number> {
  const result = { id: 'r', status: 'succeeded', logs: [] } as unknown as InvocationResult;
  const cpu = process.cpuUsage();
  for (let done = 0; done < N; done += WINDOW) {
    const batch: Promise<void>[] = [];
    for (let i = 0; i < WINDOW; i++) batch.push(client.reply('caller', String(i), result));
    await Promise.all(batch);
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / N;
}

const variants = await beforeAndAfter(values.before, load);
await alternateRounds(variants, ROUNDS, measureCalls, { unit: 'call', count: N });
await alternateRounds(variants, ROUNDS, measureReplies, { unit: 'reply', count: N });
