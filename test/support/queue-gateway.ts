/**
 * A gateway on a real embedded broker (in memory) and a real SQLite store (in memory), served on
 * 127.0.0.1, with one function consuming a queue (bound to an exchange when `binding` names
 * one): what `POST /v1/queues/NAME/messages` (or `/v1/exchanges/NAME/messages`) and `fn publish`
 * publish arrives in `received`, as the broker delivers it to a node.
 */
import type { TestContext } from 'node:test';
import { EmbeddedBroker } from '../../adapters/broker-embedded/index.ts';
import { SqliteStore } from '../../adapters/store-sqlite/index.ts';
import type { QueueMessage } from '../../core/broker.ts';
import { createLogger } from '../../core/logger.ts';
import { createGateway } from '../../gateway/gateway.ts';
import { Inbox } from './inbox.ts';
import { serveGateway } from './serve-gateway.ts';

export interface QueueGateway {
  url: string;
  /** An invoke-scope token. */
  token: string;
  /** The queue the deployed function consumes. */
  queue: string;
  received: Inbox<QueueMessage>;
}

/** A bundle that compiles; nothing runs it here. */
const BUNDLE = 'var __fjord_module = (() => ({ default: { queue() {} } }))();';

export async function startQueueGateway(
  t: TestContext,
  queue: string,
  binding: { exchange?: string; routingKey?: string } = {},
): Promise<QueueGateway> {
  const logger = createLogger({ level: 'silent' });
  const store = new SqliteStore({ path: ':memory:' });
  await store.init();
  const broker = new EmbeddedBroker({ path: ':memory:', logger });
  await broker.start();
  const url = await serveGateway(t, createGateway({ store, broker, logger }));
  t.after(async () => {
    await broker.close();
    await store.close();
  });
  const deployer = (await store.createToken('deploy', 'test deploy')).token;
  const fn = 'consumer';
  const deployed = await fetch(`${url}/v1/functions/${fn}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${deployer}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      manifest: { name: fn, triggers: { queue: { queue, ...binding } } },
      bundle: BUNDLE,
    }),
  });
  if (deployed.status !== 201 && deployed.status !== 200) {
    throw new Error(`deploy answered ${deployed.status}: ${await deployed.text()}`);
  }
  const received = new Inbox<QueueMessage>();
  const queues = broker.queues;
  if (queues === undefined) throw new Error('the embedded broker has no queues');
  await queues.consume({ fn, queue, ...binding }, 100, (delivery) => {
    received.push(delivery.message);
    delivery.ack();
  });
  const token = (await store.createToken('invoke', 'test invoke')).token;
  return { url, token, queue, received };
}
