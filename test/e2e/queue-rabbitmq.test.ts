/**
 * Queue triggers on a real RabbitMQ, fed by publishers that are not ours (amqp-publish and
 * python3-pika): JSON, text and bytes reach queue(batch) with headers and ids; an exchange
 * binding routes by key; an explicit retry runs again as attempt 2; a message whose handler
 * always throws ends in the dead-letter queue after maxRetries, while the messages acked
 * explicitly beside it run once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type {
  DeadLetterListResponse,
  InvocationView,
  LogListResponse,
  QueuePublishResponse,
} from '../../core/api.ts';
import { waitFor } from '../support/inbox.ts';
import { amqpPublish, pikaPublish } from './support/amqp-clients.ts';
import { Api, readCredentials } from './support/api.ts';
import { runFnJson, startFn, type FnServer } from './support/fn-process.ts';
import { testVhost } from './support/rabbitmq.ts';

interface Seen {
  queue: string;
  id: string;
  kind: string;
  body: unknown;
  headers: Record<string, string>;
  attempts: number;
  timestamp: string;
  invocationId: string;
}

describe('queue triggers on RabbitMQ', () => {
  const url = testVhost();
  const dir = mkdtempSync(join(tmpdir(), 'fjord-queue-'));
  const dataDir = join(dir, '.fn');
  const suffix = randomBytes(3).toString('hex');
  let server: FnServer;
  let api: Api;

  before(async () => {
    const args = ['up', '--port', '0', '--data-dir', dataDir, '--no-examples', '--broker', url];
    server = await startFn(args, { cwd: dir });
    api = new Api(readCredentials(join(dataDir, 'credentials.json')));
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const deploy = async (prefix: string, queue: Record<string, unknown>): Promise<string> => {
    const name = `${prefix}-${suffix}`;
    await api.deployFixture(name, 'queue-recorder', {
      triggers: { queue: { maxWaitMs: 100, retryDelaySeconds: 0, ...queue } },
    });
    return name;
  };

  /** Every message line the function logged so far. */
  const seen = async (name: string): Promise<Seen[]> => {
    const { body } = await api.json<LogListResponse>(`/v1/functions/${name}/logs?limit=1000`);
    return body.logs
      .filter((l) => l.message.startsWith('{'))
      .map((l) => ({ ...(JSON.parse(l.message) as Seen), invocationId: l.invocationId }));
  };

  const waitSeen = (name: string, what: string, done: (all: Seen[]) => boolean) =>
    waitFor(
      async () => {
        const all = await seen(name);
        return done(all) ? all : undefined;
      },
      { what, timeoutMs: 60_000 },
    );

  test('JSON, text and bytes from amqp-publish and pika reach queue(batch)', async () => {
    const queue = `orders-${suffix}`;
    const name = await deploy('qin', { queue, batchSize: 5 });
    await amqpPublish({
      url,
      routingKey: queue,
      contentType: 'application/json',
      headers: { 'x-tenant': 'acme' },
      body: '{"order":1}',
    });
    await amqpPublish({ url, routingKey: queue, contentType: 'text/plain', body: 'hello text' });
    await amqpPublish({ url, routingKey: queue, body: 'AB' });
    await pikaPublish(url, [
      {
        routingKey: queue,
        contentType: 'application/json; charset=utf-8',
        messageId: `pika-${suffix}`,
        headers: { source: 'pika', n: 7 },
        body: JSON.stringify({ order: 2, items: ['a', 'b'] }),
      },
    ]);
    const all = await waitSeen(name, 'four messages handled', (s) => s.length >= 4);
    const byBody = (body: unknown) =>
      all.find((s) => JSON.stringify(s.body) === JSON.stringify(body));
    assert.deepEqual(
      { ...byBody({ order: 1 }), id: undefined, invocationId: undefined },
      {
        queue,
        id: undefined,
        kind: 'object',
        body: { order: 1 },
        headers: { 'x-tenant': 'acme' },
        attempts: 1,
        timestamp: 'date',
        invocationId: undefined,
      },
    );
    assert.equal(byBody('hello text')?.kind, 'string');
    assert.deepEqual(byBody([65, 66])?.kind, 'bytes', 'no content type arrives as an ArrayBuffer');
    const pika = byBody({ order: 2, items: ['a', 'b'] });
    assert.equal(pika?.id, `pika-${suffix}`);
    assert.deepEqual(pika?.headers, { source: 'pika', n: '7' });
    assert.equal(new Set(all.map((s) => s.id)).size, all.length, 'every message has its own id');

    // Each batch is an invocation with a summary of what became of its messages.
    const view = await api.invocation(pika?.invocationId ?? '');
    assert.equal(view.status, 'succeeded');
    const summary = view.result as { queue: string; messages: number; acked: number };
    assert.equal(summary.queue, queue);
    assert.equal(summary.acked, summary.messages);
  });

  test('POST /v1/queues/NAME/messages and fn publish publish into the queue on RabbitMQ too', async () => {
    const queue = `http-${suffix}`;
    const name = await deploy('qhttp', { queue });
    const { status, body } = await api.json<QueuePublishResponse>(`/v1/queues/${queue}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'message-header-tenant': 'acme' },
      body: 'over http',
    });
    assert.equal(status, 202);
    const published = await runFnJson<QueuePublishResponse>(
      ['publish', queue, '--data', '{"via":"cli"}', '--data-dir', dataDir],
      { cwd: dir },
    );
    const all = await waitSeen(name, 'both published messages', (s) => s.length >= 2);
    const http = all.find((s) => s.body === 'over http');
    assert.equal(http?.id, body.id);
    assert.deepEqual(http?.headers, { tenant: 'acme' });
    assert.equal(all.find((s) => s.kind === 'object')?.id, published.id);
  });

  test('an exchange binding routes by key to a queue Fjord declared', async () => {
    const exchange = `events-${suffix}`;
    const name = await deploy('qex', { exchange, routingKey: 'order.*', queue: `ev-${suffix}` });
    // The exchange did not exist: the deploy declared it and the binding. A key the binding does
    // not match has nowhere to go, which a mandatory publish reports at once.
    await assert.rejects(
      pikaPublish(url, [{ exchange, routingKey: 'invoice.created', body: '"not for us"' }]),
      /UnroutableError/,
    );
    await pikaPublish(url, [
      {
        exchange,
        routingKey: 'order.created',
        body: '"order created"',
        contentType: 'application/json',
      },
    ]);
    await amqpPublish({
      url,
      exchange,
      routingKey: 'order.shipped',
      contentType: 'text/plain',
      body: 'order shipped',
    });
    const all = await waitSeen(name, 'both order events', (s) => s.length >= 2);
    assert.deepEqual(all.map((s) => s.body).sort(), ['order created', 'order shipped']);
  });

  test('an explicit retry runs again with attempts 2; a message that always throws is dead-lettered after maxRetries', async () => {
    const queue = `work-${suffix}`;
    const name = await deploy('qretry', { queue, batchSize: 10, maxRetries: 2 });
    await pikaPublish(url, [
      {
        routingKey: queue,
        body: '{"action":"retry-once"}',
        contentType: 'application/json',
        messageId: 'again',
      },
      {
        routingKey: queue,
        body: '{"action":"throw"}',
        contentType: 'application/json',
        messageId: 'doomed',
      },
      {
        routingKey: queue,
        body: '{"action":"ok"}',
        contentType: 'application/json',
        messageId: 'sibling',
      },
    ]);
    const dead = await waitFor(
      async () => {
        const page = await runFnJson<DeadLetterListResponse>(
          ['dlq', 'ls', name, '--data-dir', dataDir],
          { cwd: dir },
        );
        return page.deadLetters.length > 0 ? page : undefined;
      },
      { what: 'the doomed message in fn dlq ls', timeoutMs: 60_000 },
    );
    assert.equal(dead.deadLetters.length, 1);
    assert.equal(dead.deadLetters[0]?.attempt, 3, 'the first attempt and maxRetries (2) retries');
    assert.match(dead.deadLetters[0]?.error.message ?? '', /always fails/);

    const all = await waitSeen(name, 'the retried message again', (s) =>
      s.some((m) => m.id === 'again' && m.attempts === 2),
    );
    const attempts = (id: string) => all.filter((s) => s.id === id).map((s) => s.attempts);
    assert.deepEqual(attempts('doomed'), [1, 2, 3]);
    assert.deepEqual(attempts('again'), [1, 2]);
    assert.deepEqual(attempts('sibling'), [1], 'acked explicitly before the throw: never retried');
    const failed = all.find((s) => s.id === 'doomed');
    const view: InvocationView = await api.invocation(failed?.invocationId ?? '');
    assert.equal(view.status, 'failed');
    assert.equal(view.error?.code, 'FUNCTION_ERROR');
  });
});
