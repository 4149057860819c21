/**
 * The Broker contract against a real RabbitMQ (FN_TEST_AMQP_URL, default the local guest user).
 * Each fixture uses its own name prefix, so its exchanges and queues are its own to delete.
 * Without a reachable RabbitMQ this fails, never skips: run scripts/ensure-rabbitmq.sh first.
 */
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { connect } from 'amqplib';
import { DELAY_TIERS_MS } from '../../adapters/broker-rabbitmq/delay-tiers.ts';
import { RabbitMqBroker } from '../../adapters/broker-rabbitmq/index.ts';
import type { Broker, InvocationDelivery } from '../../core/broker.ts';
import { silentLogger } from '../../core/logger.ts';
import type { DeadLetter, ResultEvent } from '../../core/messages.ts';
import { invocation, resultFor, uniqueName } from '../support/fixtures.ts';
import { Inbox } from '../support/inbox.ts';
import { brokerContract } from './broker.contract.ts';

const AMQP_URL = process.env.FN_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

brokerContract('rabbitmq', async () => {
  const prefix = `fjord-test-${randomBytes(4).toString('hex')}`;
  const declared = new Set<string>();
  await deleteTopology(prefix, declared); // fails clearly when RabbitMQ is not there
  return {
    create: async () => recordDeclares(newBroker(prefix), declared),
    cleanup: () => deleteTopology(prefix, declared),
  };
});

function newBroker(prefix: string): RabbitMqBroker {
  return new RabbitMqBroker({
    url: AMQP_URL,
    logger: silentLogger(),
    prefix,
    connectionName: `${prefix}-contract`,
    startTimeoutMs: 5000,
  });
}

describe('RabbitMqBroker retries', () => {
  const prefix = `fjord-test-${randomBytes(4).toString('hex')}`;
  const declared = new Set<string>();
  after(() => deleteTopology(prefix, declared));

  test('a retry whose function was deleted meanwhile becomes a dead letter of the broker', async () => {
    const broker = newBroker(prefix);
    await broker.start();
    after(() => broker.close());
    const fn = uniqueName();
    declared.add(fn);
    await broker.declareFunction(fn);
    const letters = new Inbox<DeadLetter>();
    await broker.consumeDeadLetters(async (letter) => letters.push(letter));
    const inbox = new Inbox<InvocationDelivery>();
    await broker.consume(fn, 1, async (d) => inbox.push(d));
    const msg = invocation(fn, 'orphan');
    await broker.enqueue(msg);
    const delivery = await inbox.next();
    await delivery.retry(400);
    await broker.deleteFunction(fn);
    const letter = await letters.next(10_000, 'the orphaned retry');
    assert.equal(letter.message.id, msg.id);
    assert.equal(letter.attempt, 2, 'the attempt that could not run');
    assert.equal(letter.error.code, 'FUNCTION_NOT_FOUND');
    assert.equal(letter.node, 'broker');
    assert.equal(letter.ran, false);
  });
});

describe('RabbitMqBroker results on the wire', () => {
  const prefix = `fjord-test-${randomBytes(4).toString('hex')}`;
  after(() => deleteTopology(prefix, []));

  test('one event goes as itself (what gateways of every version read), a burst as an array', async () => {
    const broker = newBroker(prefix);
    await broker.start();
    after(() => broker.close());
    const connection = await connect(AMQP_URL);
    after(() => connection.close());
    const channel = await connection.createChannel();
    const take = async () => {
      const message = await channel.get(`${prefix}.results`, { noAck: true });
      assert.ok(message, 'a results message');
      return {
        type: message.properties.type as unknown,
        body: JSON.parse(String(message.content)) as unknown,
      };
    };
    const one = { type: 'finished', result: resultFor(invocation('wire', 1), 1) } as const;
    const two = { type: 'finished', result: resultFor(invocation('wire', 2), 2) } as const;
    await broker.publishResult(one);
    assert.deepEqual(await take(), { type: 'result', body: one });
    await broker.publishResults([two]);
    assert.deepEqual(await take(), { type: 'result', body: two });
    await broker.publishResults([one, two]);
    assert.deepEqual(await take(), { type: 'results', body: [one, two] });
    // A body the caller encoded already (runtime/result-batcher.ts) goes as it is, byte for byte.
    const encoded = JSON.stringify([one, two], null, 1);
    await broker.publishResults([one, two], encoded);
    const message = await channel.get(`${prefix}.results`, { noAck: true });
    assert.ok(message, 'a results message');
    assert.equal(message.properties.type, 'results');
    assert.equal(String(message.content), encoded);

    // And what an older node published reaches a burst consumer as a burst of one.
    const bursts = new Inbox<readonly ResultEvent[]>();
    await broker.consumeResultBursts(async (events) => bursts.push(events));
    channel.sendToQueue(`${prefix}.results`, Buffer.from(JSON.stringify(one)), {
      persistent: true,
      type: 'result',
    });
    assert.deepEqual(await bursts.next(), [one]);
  });
});

/** The broker as is, except that declareFunction also records the name for cleanup. */
function recordDeclares(broker: Broker, declared: Set<string>): Broker {
  return new Proxy(broker, {
    get(target, property) {
      if (property === 'declareFunction') {
        return (name: string) => {
          declared.add(name);
          return target.declareFunction(name);
        };
      }
      // Bound to the target: the adapter's private fields do not exist on the proxy.
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

/** Deletes the queues and exchanges a prefix stands for (deleting a missing one is a no-op). */
async function deleteTopology(prefix: string, functions: Iterable<string>): Promise<void> {
  const connection = await connect(AMQP_URL, { noDelay: true, timeout: 3000 }).catch(
    (error: unknown) => {
      throw new Error(
        `RabbitMQ is not reachable at ${AMQP_URL.replace(/:[^:@/]*@/, ':***@')} ` +
          `(${String(error)}): run scripts/ensure-rabbitmq.sh, or set FN_TEST_AMQP_URL`,
        { cause: error },
      );
    },
  );
  try {
    const channel = await connection.createChannel();
    for (const fn of functions) {
      await channel.deleteQueue(`${prefix}.fn.${fn}`);
      await channel.deleteQueue(`${prefix}.sync.${fn}`);
    }
    for (const ms of DELAY_TIERS_MS) await channel.deleteQueue(`${prefix}.delay.${ms}`);
    await channel.deleteQueue(`${prefix}.results`);
    await channel.deleteQueue(`${prefix}.dead-letters`);
    for (const exchange of ['invocations', 'control', 'delay', 'retries', 'retries.orphans']) {
      await channel.deleteExchange(`${prefix}.${exchange}`);
    }
    await channel.close();
  } finally {
    await connection.close();
  }
}
