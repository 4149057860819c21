/**
 * Exchange bindings end to end, on both brokers with the same steps: two functions bound to one
 * exchange by different keys (`order.#`, `*.paid`), messages published with `fn publish
 * --exchange --routing-key` and `POST /v1/exchanges/NAME/messages`, each reaching exactly the
 * functions whose key matches (one matching both reaches both), and a key matching neither
 * refused; and a function publishing to the exchange with ctx.queues.publish. On RabbitMQ the
 * routing is RabbitMQ's own; on the embedded broker of `fn up`, Fjord's.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody, ExchangePublishResponse, LogListResponse } from '../../core/api.ts';
import { waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { runFnJson, startFn, type FnServer } from './support/fn-process.ts';
import { testVhost } from './support/rabbitmq.ts';

function exchangeSuite(label: string, brokerArgs: () => string[]): void {
  describe(`exchange bindings: ${label}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'fjord-exchanges-'));
    const dataDir = join(dir, '.fn');
    const suffix = randomBytes(3).toString('hex');
    // Here, not in before: testVhost registers the vhost's removal with this suite's after.
    const extra = brokerArgs();
    let server: FnServer;
    let api: Api;

    before(async () => {
      const args = ['up', '--port', '0', '--data-dir', dataDir, '--no-examples', ...extra];
      server = await startFn(args, { cwd: dir });
      api = new Api(readCredentials(join(dataDir, 'credentials.json')));
    });

    after(async () => {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    /** The bodies the function logged, sorted, once `marker` is among them. */
    const bodiesUntil = (name: string, marker: string) =>
      waitFor(
        async () => {
          const { body } = await api.json<LogListResponse>(`/v1/functions/${name}/logs?limit=1000`);
          const bodies = body.logs
            .filter((l) => l.message.startsWith('{'))
            .map((l) => (JSON.parse(l.message) as { body: { key: string } }).body.key);
          return bodies.includes(marker) ? bodies.sort() : undefined;
        },
        { what: `${name} to see ${marker}`, timeoutMs: 60_000 },
      );

    test('each message reaches the functions whose binding key matches its routing key', async () => {
      const exchange = `shop-${suffix}`;
      const orders = `orders-${suffix}`;
      const paid = `paid-${suffix}`;
      const bind = (name: string, routingKey: string) =>
        api.deployFixture(name, 'queue-recorder', {
          triggers: { queue: { exchange, routingKey, maxWaitMs: 100 } },
        });
      await bind(orders, 'order.#');
      await bind(paid, '*.paid');

      const publish = (routingKey: string) =>
        runFnJson<ExchangePublishResponse>(
          [
            'publish',
            '--exchange',
            exchange,
            '--routing-key',
            routingKey,
            '--data',
            JSON.stringify({ key: routingKey }),
            '--data-dir',
            dataDir,
          ],
          { cwd: dir },
        );
      const created = await publish('order.created');
      assert.equal(created.exchange, exchange);
      assert.equal(created.routingKey, 'order.created');
      await publish('invoice.paid');

      const post = (routingKey: string) =>
        api.json<ExchangePublishResponse & ErrorBody>(`/v1/exchanges/${exchange}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'routing-key': routingKey },
          body: JSON.stringify({ key: routingKey }),
        });
      const nowhere = await post('refund.created');
      assert.equal(nowhere.status, 404);
      assert.equal(nowhere.body.error.code, 'QUEUE_NOT_FOUND');
      const unbound = await api.json<ErrorBody>(`/v1/exchanges/other-${suffix}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'routing-key': 'order.created' },
        body: '{}',
      });
      assert.equal(unbound.status, 404);
      assert.equal(unbound.body.error.code, 'EXCHANGE_NOT_FOUND');
      // Last, and matching both: once a function saw it, it saw everything meant for it.
      const both = await post('order.paid');
      assert.equal(both.status, 202);

      assert.deepEqual(await bodiesUntil(orders, 'order.paid'), ['order.created', 'order.paid']);
      assert.deepEqual(await bodiesUntil(paid, 'order.paid'), ['invoice.paid', 'order.paid']);
    });

    test('a function publishes to an exchange with ctx.queues.publish', async () => {
      const exchange = `events-${suffix}`;
      const recorder = `recorder-${suffix}`;
      await api.deployFixture(recorder, 'queue-recorder', {
        triggers: { queue: { exchange, routingKey: 'user.*', maxWaitMs: 100 } },
      });
      const publisher = `publisher-${suffix}`;
      await api.deployFixture(publisher, 'queue-publish-event', {});
      const published = await api.settled(
        await api.invokeAsync(publisher, {
          exchange,
          routingKey: 'user.created',
          body: { key: 'user.created' },
        }),
      );
      assert.equal(published.status, 'succeeded');
      assert.deepEqual(await bodiesUntil(recorder, 'user.created'), ['user.created']);

      const unbound = await api.settled(
        await api.invokeAsync(publisher, {
          exchange: `nobody-${suffix}`,
          routingKey: 'user.created',
          body: { key: 'lost' },
        }),
      );
      assert.equal(unbound.status, 'failed');
      assert.equal(unbound.error?.code, 'EXCHANGE_NOT_FOUND');
    });
  });
}

exchangeSuite('embedded', () => []);
exchangeSuite('rabbitmq', () => ['--broker', testVhost()]);
