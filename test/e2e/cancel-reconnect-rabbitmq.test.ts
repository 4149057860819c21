/**
 * A node whose RabbitMQ connection dropped missed what the control fanout announced meanwhile
 * (its exclusive control queue went with the connection): after the reconnect it asks the gateway
 * again (GET /v1/cancellations, node token) before it runs what the restored consumer delivers,
 * so an invocation cancelled while it was cut off stays cancelled and never runs. In one process,
 * on a real RabbitMQ: a gateway with its own connection, and a node like `fn node` (bundles and
 * cancellations over HTTP, real isolates) whose connection goes through a proxy the test cuts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { RabbitMqBroker } from '../../adapters/broker-rabbitmq/index.ts';
import { SqliteStore } from '../../adapters/store-sqlite/index.ts';
import type { AcceptedResponse, InvocationView } from '../../core/api.ts';
import type { BrokerState } from '../../core/broker.ts';
import type { Executor } from '../../core/executor.ts';
import { silentLogger } from '../../core/logger.ts';
import { createGateway } from '../../gateway/gateway.ts';
import { RuntimeAgent } from '../../runtime/agent.ts';
import { GatewaySource } from '../../runtime/gateway-source.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { listen } from '../../server/listen.ts';
import { bundleFunction } from '../fixtures/bundles/fixture-bundles.ts';
import { apiCaller, scopedTokens } from '../support/gateway-client.ts';
import { Inbox, waitFor } from '../support/inbox.ts';
import { quickBroker } from '../support/rabbitmq-core.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { amqpTarget, amqpUrlOnPort, testVhost } from './support/rabbitmq.ts';

const AMQP_URL = testVhost();

test('a node cut off from RabbitMQ skips what was cancelled meanwhile once it reconnects', async (t) => {
  const logger = silentLogger();
  const cleanups: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });
  const store = new SqliteStore({ path: ':memory:' });
  await store.init();
  cleanups.push(() => store.close());
  const gatewayBroker = new RabbitMqBroker({ url: AMQP_URL, logger });
  await gatewayBroker.start();
  cleanups.push(() => gatewayBroker.close());
  const gateway = createGateway({ store, broker: gatewayBroker, logger });
  await gateway.start();
  cleanups.push(() => gateway.stop());
  const handle = gateway.app.callback();
  const http = await listen((req, res) => void handle(req, res), 0, '127.0.0.1');
  cleanups.push(() => http.close());

  const {
    deploy: deployer,
    invoke: invoker,
    node: nodeToken,
  } = await scopedTokens(store, ['deploy', 'invoke', 'node']);
  const call = apiCaller(http.url);
  const view = async (id: string) =>
    (await call<InvocationView>('GET', `/v1/invocations/${id}`, invoker)).body;
  const succeeded = (id: string, what: string) =>
    waitFor(
      async () => {
        const current = await view(id);
        return current.status === 'succeeded' ? current : undefined;
      },
      { what, timeoutMs: 60_000, intervalMs: 50 },
    );

  // One at a time, so the cancelled invocation, queued first, is delivered before the other.
  const fn = `cut-${randomBytes(3).toString('hex')}`;
  const deployed = await call('PUT', `/v1/functions/${fn}`, deployer, {
    manifest: { name: fn, concurrency: 1 },
    bundle: await bundleFunction('event-echo'),
  });
  assert.ok(deployed.status === 201 || deployed.status === 200, JSON.stringify(deployed.body));
  const invoke = async (name: string) =>
    (await call<AcceptedResponse>('POST', `/v1/functions/${fn}/invocations`, invoker, { name }))
      .body.id;

  const proxy = new TcpProxy(amqpTarget());
  await proxy.start();
  cleanups.push(() => proxy.close());
  const nodeBroker = quickBroker(amqpUrlOnPort(AMQP_URL, proxy.port));
  const states = new Inbox<BrokerState>();
  nodeBroker.onStateChange(states.push);
  /** Waits for the node's broker to reach `state`, passing the states on the way. */
  const reached = async (state: BrokerState, what: string): Promise<void> => {
    while ((await states.next(30_000, what)) !== state);
  };
  await nodeBroker.start();
  cleanups.push(() => nodeBroker.close());
  const source = new GatewaySource({ gateway: http.url, token: nodeToken });
  const isolates = new IsolateExecutor({ loadCode: source.loadCode });
  cleanups.push(() => isolates.dispose());
  const ran: string[] = [];
  const executor: Executor = {
    invoke: (spec, payload, ctx) => {
      ran.push(ctx.id);
      return isolates.invoke(spec, payload, ctx);
    },
    prewarm: (spec, count) => isolates.prewarm(spec, count),
    evict: (name, keepVersion) => isolates.evict(name, keepVersion),
    stats: () => isolates.stats(),
    dispose: () => isolates.dispose(),
  };
  const agent = new RuntimeAgent({
    broker: nodeBroker,
    executor,
    directory: source,
    logger,
    nodeId: 'cut-node',
  });
  await agent.start();
  cleanups.push(() => agent.drain(5000));
  const warmId = await invoke('warm');
  await succeeded(warmId, 'a first invocation on the node');

  proxy.cut();
  await reached('down', 'the node to lose RabbitMQ');
  const cancelledId = await invoke('cancelled');
  const cancel = await call<InvocationView>('DELETE', `/v1/invocations/${cancelledId}`, invoker);
  assert.equal(cancel.status, 200);
  assert.equal(cancel.body.status, 'cancelled');
  const keptId = await invoke('kept');
  proxy.restore();
  await reached('up', 'the node to reconnect');

  const kept = await succeeded(keptId, 'the invocation queued behind the cancelled one');
  assert.deepEqual((kept.result as { event: unknown }).event, { name: 'kept' });
  assert.deepEqual(
    ran,
    [warmId, keptId],
    'the invocation cancelled while the node was cut off never reached its executor',
  );
  const after = await view(cancelledId);
  assert.equal(after.status, 'cancelled');
  assert.equal(after.startedAt, undefined);
  assert.equal(after.attempts, 0, JSON.stringify(after.history));
});
