/**
 * A node that has not fetched a version's bundle while no gateway answers: the fetch fails with
 * BUNDLE_UNAVAILABLE (503, retryable), and the agent keeps the async invocation, waits and runs
 * it again as the same attempt once the gateway is back, instead of spending its retries or
 * dead-lettering it. The gateway here is a stand-in serving bundles, behind a TcpProxy the test
 * cuts and restores.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { EmbeddedBroker } from '../../adapters/broker-embedded/index.ts';
import { FjordError } from '../../core/errors.ts';
import { silentLogger, type Logger } from '../../core/logger.ts';
import type { DeadLetter, InvocationResult } from '../../core/messages.ts';
import { RuntimeAgent } from '../../runtime/agent.ts';
import { GatewaySource } from '../../runtime/gateway-source.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { invocation, uniqueName } from '../support/fixtures.ts';
import { Inbox } from '../support/inbox.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

/** A stand-in gateway: `answer` decides each request; closed with the test. */
async function serve(
  t: TestContext,
  answer: (path: string, reply: (status: number, body: string) => void) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) =>
    answer(request.url ?? '/', (status, body) => response.writeHead(status).end(body)),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function loadError(source: GatewaySource): Promise<FjordError> {
  try {
    await source.loadCode('b'.repeat(64));
  } catch (error) {
    assert.ok(error instanceof FjordError, String(error));
    return error;
  }
  assert.fail('the bundle loaded');
}

test('a gateway that refuses connections, answers 5xx or never answers: BUNDLE_UNAVAILABLE', async (t) => {
  const down = await serve(t, () => {});
  down.server.close();
  await once(down.server, 'close');
  const refused = await loadError(new GatewaySource({ gateway: down.url, token: 'n' }));
  assert.equal(refused.code, 'BUNDLE_UNAVAILABLE');
  assert.equal(refused.status, 503);
  assert.equal(refused.retryable, true);
  assert.match(
    refused.message,
    /^the gateway did not answer GET \/v1\/bundles\/b{64}: .*ECONNREFUSED/,
  );

  const failing = await serve(t, (_path, reply) => reply(502, 'bad gateway'));
  const fivexx = await loadError(new GatewaySource({ gateway: failing.url, token: 'n' }));
  assert.equal(fivexx.code, 'BUNDLE_UNAVAILABLE');
  assert.match(fivexx.message, /it answered 502$/);

  const silent = await serve(t, () => {});
  const slow = new GatewaySource({ gateway: silent.url, token: 'n', timeoutMs: 100 });
  const timedOut = await loadError(slow);
  assert.equal(timedOut.code, 'BUNDLE_UNAVAILABLE');
  assert.match(timedOut.message, /timeout|aborted/i);

  // What the gateway refuses is its own error, not unavailability.
  const refusing = await serve(t, (_path, reply) =>
    reply(404, JSON.stringify({ error: { code: 'ROUTE_NOT_FOUND', message: 'no such bundle' } })),
  );
  const missing = await loadError(new GatewaySource({ gateway: refusing.url, token: 'n' }));
  assert.equal(missing.code, 'ROUTE_NOT_FOUND');
});

/** A node whose bundles come from a stand-in gateway behind a proxy that starts cut. */
async function nodeWithGatewayDown(t: TestContext) {
  const fixtures = new FixtureBundles();
  const fn = await fixtures.spec('event-echo', { name: uniqueName() });
  const bundles = await serve(t, (path, reply) => {
    const sha = path.slice('/v1/bundles/'.length);
    fixtures.load(sha).then(
      (code) => reply(200, code),
      () => reply(404, JSON.stringify({ error: { code: 'ROUTE_NOT_FOUND', message: sha } })),
    );
  });
  const proxy = new TcpProxy({ host: '127.0.0.1', port: Number(new URL(bundles.url).port) });
  await proxy.start();
  proxy.cut();
  const source = new GatewaySource({ gateway: `http://127.0.0.1:${proxy.port}`, token: 'n' });

  const broker = new EmbeddedBroker({ path: ':memory:', logger: silentLogger() });
  await broker.start();
  const executor = new IsolateExecutor({ loadCode: source.loadCode });
  const results = new Inbox<InvocationResult>();
  const letters = new Inbox<DeadLetter>();
  await broker.consumeResults(async (event) => {
    if (event.type === 'finished') results.push(event.result);
  });
  await broker.consumeDeadLetters(async (letter) => letters.push(letter));
  const waits = new Inbox<Record<string, unknown>>();
  const logger: Logger = {
    ...silentLogger(),
    warn: (obj, msg) => {
      if (msg?.startsWith('bundle unavailable')) waits.push(obj as Record<string, unknown>);
    },
    child: () => logger,
  };
  const agents: RuntimeAgent[] = [];
  const startAgent = async (): Promise<RuntimeAgent> => {
    const agent = new RuntimeAgent({
      broker,
      executor,
      directory: { list: async () => [fn] },
      logger,
      nodeId: `bundle-node-${agents.length + 1}`,
      prewarm: 0,
      bundleWait: { initialMs: 50, maxMs: 200, maxWaitMs: 60_000 },
    });
    agents.push(agent);
    await agent.start();
    return agent;
  };
  t.after(async () => {
    for (const agent of agents) await agent.drain(1000);
    await broker.close();
    await executor.dispose();
    await proxy.close();
  });
  return { fn, proxy, broker, results, letters, waits, startAgent };
}

test('an invocation published while the gateway is down succeeds once it is back, as attempt 1', async (t) => {
  const { fn, proxy, broker, results, letters, waits, startAgent } = await nodeWithGatewayDown(t);
  await startAgent();
  const message = invocation(fn.name, { hello: 'again' }, { fn });
  await broker.enqueue(message);
  // Two waits: the node tried, failed, waited, and tried again while the gateway was still down.
  const first = await waits.next(10_000, 'the first wait for the bundle');
  assert.equal((first.err as { code?: string }).code, 'BUNDLE_UNAVAILABLE');
  await waits.next(10_000, 'a second wait for the bundle');
  assert.equal(results.size, 0, 'no failed attempt was recorded while waiting');
  proxy.restore();

  const result = await results.next(10_000, 'the result');
  assert.equal(result.id, message.id);
  assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
  assert.equal(result.attempt, 1);
  const seen = result.value as { event: unknown; attempt: number };
  assert.deepEqual(seen.event, { hello: 'again' });
  assert.equal(seen.attempt, 1, 'the function saw attempt 1 too');
  assert.equal(letters.size, 0);
});

test('a node that stops while waiting for a bundle hands the invocation back unrun', async (t) => {
  const { fn, proxy, broker, results, letters, waits, startAgent } = await nodeWithGatewayDown(t);
  const first = await startAgent();
  const message = invocation(fn.name, { hello: 'elsewhere' }, { fn });
  await broker.enqueue(message);
  await waits.next(10_000, 'the wait for the bundle');
  // The drain does not sit out the wait: nothing is left running when it returns.
  assert.equal(await first.drain(30_000), 0);
  assert.equal(results.size, 0, 'nothing was recorded for it');

  proxy.restore();
  await startAgent();
  const result = await results.next(10_000, 'the result on the next node');
  assert.equal(result.id, message.id);
  assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
  assert.equal(result.node, 'bundle-node-2');
  // The broker counts the hand-back as a delivery, as it does any node that stops mid-work.
  assert.equal(result.attempt, 2);
  assert.equal(letters.size, 0);
});
