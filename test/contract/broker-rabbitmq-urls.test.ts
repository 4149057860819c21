/**
 * A RabbitMQ broker given several URLs (the nodes of a cluster): it connects to the first that
 * answers and, when that connection dies, moves on to the next. Two loopback proxies in front of
 * the local RabbitMQ stand for two nodes; cutting one is losing that node.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { RabbitMqBroker } from '../../adapters/broker-rabbitmq/index.ts';
import { resolveOptions, splitUrls } from '../../adapters/broker-rabbitmq/options.ts';
import type { BrokerState, InvocationDelivery } from '../../core/broker.ts';
import { silentLogger } from '../../core/logger.ts';
import { amqpTarget, amqpUrlOnPort, testVhost } from '../e2e/support/rabbitmq.ts';
import { invocation, uniqueName } from '../support/fixtures.ts';
import { Inbox } from '../support/inbox.ts';
import { quickBroker } from '../support/rabbitmq-core.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

describe('RabbitMQ broker URLs', () => {
  test('a comma-separated list is split where the next amqp:// begins', () => {
    assert.deepEqual(splitUrls('amqp://a:1/v, amqps://b:2/v,amqp://u:p,w@c:3/v'), [
      'amqp://a:1/v',
      'amqps://b:2/v',
      'amqp://u:p,w@c:3/v',
    ]);
    const { urls } = resolveOptions({ url: 'amqp://a/v,amqp://b/v', logger: silentLogger() });
    assert.deepEqual(urls, ['amqp://a/v?heartbeat=10', 'amqp://b/v?heartbeat=10']);
  });

  test('an empty list or a URL that is not amqp:// is refused', () => {
    assert.throws(() => resolveOptions({ url: ' , ', logger: silentLogger() }), {
      code: 'BAD_REQUEST',
    });
    assert.throws(() => splitUrls('  '), { code: 'BAD_REQUEST' });
    assert.throws(() => resolveOptions({ url: 'http://b,amqp://a', logger: silentLogger() }), {
      code: 'BAD_REQUEST',
    });
  });

  describe('failover between nodes', () => {
    const vhost = testVhost();
    const proxies: TcpProxy[] = [];
    const brokers: RabbitMqBroker[] = [];

    after(async () => {
      for (const broker of brokers) await broker.close();
      for (const proxy of proxies) await proxy.close();
    });

    async function node(): Promise<string> {
      const proxy = new TcpProxy(amqpTarget());
      await proxy.start();
      proxies.push(proxy);
      return amqpUrlOnPort(vhost, proxy.port);
    }

    test('a dead first node is skipped, and losing the live one moves to the other', async () => {
      const [a, b, c] = [await node(), await node(), await node()];
      const [proxyA, proxyB] = proxies as [TcpProxy, TcpProxy];
      proxyA.cut(); // down from the start
      const broker = quickBroker([a, b, c].join(','), { startTimeoutMs: 10_000 });
      brokers.push(broker);
      await broker.start();
      const states = new Inbox<BrokerState>();
      broker.onStateChange(states.push);
      const fn = uniqueName('urls');
      await broker.declareFunction(fn);
      const deliveries = new Inbox<InvocationDelivery>();
      await broker.consume(fn, 1, async (d) => {
        d.ack();
        deliveries.push(d);
      });

      // Connected through b (a refused it): cutting b must bring it back through c, while a
      // stays cut.
      proxyB.cut();
      assert.equal(await states.next(10_000, 'down'), 'down');
      assert.equal(await states.next(10_000, 'up'), 'up');
      const message = invocation(fn, 'after failover');
      await broker.enqueue(message);
      const delivered = await deliveries.next(10_000, 'delivery after failover');
      assert.equal(delivered.message.id, message.id);
    });

    test('start() fails naming every URL when no node answers', async () => {
      const [a, b] = [await node(), await node()];
      for (const proxy of proxies.slice(-2)) proxy.cut();
      const broker = quickBroker(`${a},${b}`, {
        startTimeoutMs: 300,
        reconnect: { initialDelayMs: 50, maxDelayMs: 100 },
      });
      brokers.push(broker);
      await assert.rejects(broker.start(), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'BROKER_UNAVAILABLE');
        for (const url of [a, b]) {
          assert.ok(error.message.includes(new URL(url).port), `${url} in: ${error.message}`);
        }
        return true;
      });
    });
  });
});
