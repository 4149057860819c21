/**
 * A node that starts after an invocation was cancelled never heard the cancellation on the
 * control fanout: it asks the gateway (GET /v1/cancellations, node token) when it starts, and
 * skips the cancelled invocation while the one queued behind it runs. In one process: gateway,
 * embedded broker and SQLite store as in `fn up`, and a node that talks to the gateway over HTTP
 * like `fn node`, running real isolates.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EmbeddedBroker } from '../../adapters/broker-embedded/index.ts';
import { SqliteStore } from '../../adapters/store-sqlite/index.ts';
import type { AcceptedResponse, CancellationListResponse, InvocationView } from '../../core/api.ts';
import type { Executor } from '../../core/executor.ts';
import { silentLogger } from '../../core/logger.ts';
import { createGateway } from '../../gateway/gateway.ts';
import { RuntimeAgent } from '../../runtime/agent.ts';
import { GatewaySource } from '../../runtime/gateway-source.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { listen } from '../../server/listen.ts';
import { bundleFunction } from '../fixtures/bundles/fixture-bundles.ts';
import { apiCaller, scopedTokens } from '../support/gateway-client.ts';
import { waitFor } from '../support/inbox.ts';

test('a node started after a cancellation skips the cancelled invocation', async (t) => {
  const logger = silentLogger();
  const store = new SqliteStore({ path: ':memory:' });
  await store.init();
  const broker = new EmbeddedBroker({ path: ':memory:', logger });
  await broker.start();
  const gateway = createGateway({ store, broker, logger });
  await gateway.start();
  const handle = gateway.app.callback();
  const http = await listen((req, res) => void handle(req, res), 0, '127.0.0.1');
  const executors: Executor[] = [];
  const started: { agent?: RuntimeAgent } = {};
  t.after(async () => {
    await started.agent?.drain(5000);
    for (const executor of executors) await executor.dispose();
    await http.close();
    await gateway.stop();
    await broker.close();
    await store.close();
  });
  const {
    deploy: deployer,
    invoke: invoker,
    node: node,
  } = await scopedTokens(store, ['deploy', 'invoke', 'node']);
  const call = apiCaller(http.url);

  // One at a time, so the cancelled invocation, queued first, is delivered before the other.
  const manifest = { name: 'late', concurrency: 1 };
  const deployed = await call('PUT', '/v1/functions/late', deployer, {
    manifest,
    bundle: await bundleFunction('event-echo'),
  });
  assert.ok(deployed.status === 201 || deployed.status === 200, JSON.stringify(deployed.body));
  const invoke = async (name: string) =>
    (await call<AcceptedResponse>('POST', '/v1/functions/late/invocations', invoker, { name })).body
      .id;
  const cancelledId = await invoke('cancelled');
  const cancel = await call<InvocationView>('DELETE', `/v1/invocations/${cancelledId}`, invoker);
  assert.equal(cancel.status, 200);
  assert.equal(cancel.body.status, 'cancelled');
  const keptId = await invoke('kept');

  const listed = await call<CancellationListResponse>('GET', '/v1/cancellations?since=0', node);
  assert.deepEqual(listed.body.ids, [cancelledId]);
  const refused = await call<unknown>('GET', '/v1/cancellations?since=0', invoker);
  assert.equal(refused.status, 403);
  const bad = await call<unknown>('GET', '/v1/cancellations?since=yesterday', node);
  assert.equal(bad.status, 400);

  const source = new GatewaySource({ gateway: http.url, token: node });
  const isolates = new IsolateExecutor({ loadCode: source.loadCode });
  executors.push(isolates);
  const ran: string[] = [];
  const executor: Executor = {
    invoke: (fn, payload, ctx) => {
      ran.push(ctx.id);
      return isolates.invoke(fn, payload, ctx);
    },
    prewarm: (fn, count) => isolates.prewarm(fn, count),
    evict: (name, keepVersion) => isolates.evict(name, keepVersion),
    stats: () => isolates.stats(),
    dispose: () => isolates.dispose(),
  };
  const agent = new RuntimeAgent({
    broker,
    executor,
    directory: source,
    logger,
    nodeId: 'late-node',
  });
  started.agent = agent;
  await agent.start();

  const kept = await waitFor(
    async () => {
      const view = (await call<InvocationView>('GET', `/v1/invocations/${keptId}`, invoker)).body;
      return view.status === 'succeeded' ? view : undefined;
    },
    { what: 'the invocation queued behind the cancelled one to succeed', timeoutMs: 60_000 },
  );
  assert.deepEqual((kept.result as { event: unknown }).event, { name: 'kept' });
  assert.deepEqual(ran, [keptId], 'the cancelled invocation never reached the executor');
  const after = (await call<InvocationView>('GET', `/v1/invocations/${cancelledId}`, invoker)).body;
  assert.equal(after.status, 'cancelled');
  assert.equal(after.startedAt, undefined);
});
