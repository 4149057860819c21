/**
 * The RPC channel under write backpressure: sync requests and replies go out at once while the
 * channel's write buffer has room, and wait for 'drain' once amqplib said it is full (publish()
 * returned false after 1024 frames). Those that waited and those that come after them must reach
 * the broker in the order they were sent: one that finds the buffer drained must not overtake
 * one still waiting to go. Needs the local RabbitMQ (scripts/ensure-rabbitmq.sh).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { connect, type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import type { ConnectionManager } from '../../adapters/broker-rabbitmq/connection-manager.ts';
import { RpcClient } from '../../adapters/broker-rabbitmq/rpc-client.ts';
import { namesFor } from '../../adapters/broker-rabbitmq/topology.ts';
import { silentLogger } from '../../core/logger.ts';
import type { InvocationResult } from '../../core/messages.ts';
import { invocation, resultFor } from '../support/fixtures.ts';
import { startCore, TEST_AMQP_URL as AMQP_URL } from '../support/rabbitmq-core.ts';

const prefix = `fjord-test-rpc-${randomBytes(4).toString('hex')}`;
const names = namesFor(prefix);
const fn = 'ordered';
const replies = `${prefix}.replies`;
const COUNT = 3200;
let admin: ChannelModel;
let channel: Channel;
let manager: ConnectionManager;
let rpc: RpcClient;

before(async () => {
  admin = await connect(AMQP_URL);
  channel = await admin.createChannel();
  await channel.assertQueue(names.syncQueue(fn), { durable: false });
  await channel.assertQueue(replies, { durable: false });
  const logger = silentLogger();
  rpc = new RpcClient({ logger, names });
  manager = await startCore(rpc, prefix, logger);
});

after(async () => {
  await manager.close();
  await channel.deleteQueue(names.syncQueue(fn));
  await channel.deleteQueue(replies);
  await admin.close();
});

/** Sends `COUNT` messages with `send`: most in one tick (past the full buffer), then one a tick. */
async function sendPastFullBuffer(send: (n: number) => void): Promise<void> {
  for (let n = 0; n < COUNT - 200; n++) send(n);
  for (let n = COUNT - 200; n < COUNT; n++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    send(n);
  }
}

/** Takes `COUNT` messages from `queue`, polling while it is empty. */
async function drain(queue: string): Promise<GetMessage[]> {
  const received: GetMessage[] = [];
  while (received.length < COUNT) {
    const message = await channel.get(queue, { noAck: true });
    if (message === false) await new Promise((resolve) => setTimeout(resolve, 10));
    else received.push(message);
  }
  return received;
}

function assertInOrder(received: number[]): void {
  assert.equal(received.length, COUNT);
  const first = received.findIndex((n, i) => n !== i);
  assert.equal(first, -1, `message ${received[first]} came at ${first}`);
}

test('sync requests sent past a full write buffer reach the queue in the order they were sent', async () => {
  const messages = Array.from({ length: COUNT }, (_, n) =>
    invocation(fn, n, { mode: 'sync', replyBy: Date.now() + 60_000 }),
  );
  const calls: Promise<InvocationResult>[] = [];
  await sendPastFullBuffer((n) => calls.push(rpc.call(messages[n]!)));
  const order = new Map(messages.map((m, n) => [m.id, n]));
  const requests = await drain(names.syncQueue(fn));
  const ids = requests.map((r) => (JSON.parse(r.content.toString()) as { id: string }).id);
  assertInOrder(ids.map((id) => order.get(id) ?? -1));
  // Each call gets the reply to its own request.
  for (const [i, request] of requests.entries()) {
    const { correlationId, replyTo } = request.properties as {
      correlationId: string;
      replyTo: string;
    };
    const result = resultFor(messages[order.get(ids[i]!)!]!, i);
    channel.publish('', replyTo, Buffer.from(JSON.stringify(result)), { correlationId });
  }
  const results = await Promise.all(calls);
  assert.deepEqual(
    results.map((r) => r.id),
    messages.map((m) => m.id),
  );
});

test('replies sent past a full write buffer reach their queue in the order they were sent', async () => {
  const message = invocation(fn, 0, { mode: 'sync' });
  const result = resultFor(message, 'ok');
  const sent: Promise<void>[] = [];
  await sendPastFullBuffer((n) => sent.push(rpc.reply(replies, String(n), result)));
  await Promise.all(sent);
  const received = await drain(replies);
  assertInOrder(received.map((m) => Number(m.properties.correlationId)));
});
