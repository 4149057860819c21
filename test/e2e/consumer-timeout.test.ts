/**
 * A function slower than RabbitMQ's consumer_timeout (issue 5), on a RabbitMQ node of the test's
 * own: 2 s instead of 30 minutes, checked every 500 ms instead of every minute. The broker closes
 * the node's channel with 406 PRECONDITION_FAILED and requeues everything unacked on it; the node
 * reopens the channel and gets those messages again while it still runs them. Each invocation
 * must still run once, end in one final state, and other work must keep flowing meanwhile.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { InvocationView } from '../../core/api.ts';
import { Api, readCredentials } from './support/api.ts';
import { startFn, type FnServer } from './support/fn-process.ts';
import { RabbitMqInstance } from './support/rabbitmq-instance.ts';

const CONSUMER_TIMEOUT_MS = 2000;

describe('a function slower than the broker consumer_timeout', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-consumer-timeout-'));
  const dataDir = join(dir, '.fn');
  const suffix = randomBytes(3).toString('hex');
  const servers: FnServer[] = [];
  let rabbit: RabbitMqInstance | undefined;
  let node: FnServer;
  let api: Api;

  before(
    async () => {
      rabbit = await RabbitMqInstance.start({
        config: { consumer_timeout: CONSUMER_TIMEOUT_MS },
        // The channel checks its oldest unacked delivery on this tick (default every minute).
        rabbitEnv: { channel_tick_interval: 500 },
      });
      const gateway = await startFn(
        ['gateway', '--port', '0', '--data-dir', dataDir, '--broker', rabbit.url()],
        { cwd: dir, timeoutMs: 120_000 },
      );
      servers.push(gateway);
      api = new Api(readCredentials(join(dataDir, 'credentials.json')));
      const token = readFileSync(join(dataDir, 'node-token'), 'utf8').trim();
      node = await startFn(
        ['node', '--broker', rabbit.url(), '--gateway', api.base, '--token', token],
        { cwd: dir, timeoutMs: 120_000 },
      );
      servers.push(node);
    },
    { timeout: 240_000 },
  );

  after(async () => {
    for (const server of servers) await server.stop('SIGKILL');
    await rabbit?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('each invocation runs once and ends once; other work keeps flowing', async () => {
    const slow = `slow-${suffix}`;
    const fast = `fast-${suffix}`;
    // Five attempts would allow a storm of five runs per invocation if every redelivery ran.
    const retries = { maxAttempts: 5, backoff: { initialMs: 100, maxMs: 200 } };
    await api.deployFixture(slow, 'sleep', { concurrency: 4, timeoutMs: 60_000, retries });
    await api.deployFixture(fast, 'sleep', { concurrency: 2, retries });
    // Warm both (the node fetches each bundle once) so the runs below start together.
    for (const name of [slow, fast]) {
      assert.equal(
        (await api.settled(await api.invokeAsync(name, { ms: 0 }), 60_000)).status,
        'succeeded',
      );
    }

    // Each slow run outlives about three consumer timeouts.
    const slowIds = [
      await api.invokeAsync(slow, { ms: 4 * CONSUMER_TIMEOUT_MS }),
      await api.invokeAsync(slow, { ms: 4 * CONSUMER_TIMEOUT_MS }),
    ];
    // Meanwhile: quick runs on the same function (on the channels the broker closes) and on
    // another one (a channel of its own).
    const quickIds: string[] = [];
    for (let i = 0; i < 10; i++) {
      quickIds.push(await api.invokeAsync(slow, { ms: 10 }));
      quickIds.push(await api.invokeAsync(fast, { ms: 10 }));
    }

    const views: InvocationView[] = await Promise.all(
      [...slowIds, ...quickIds].map((id) => api.settled(id, 120_000)),
    );
    const logs = node.stderr();
    // The fault really happened: the broker closed the channel for a late ack, and the node saw
    // a slow invocation come back while it still ran it.
    assert.match(logs, /PRECONDITION_FAILED - delivery acknowledgement on channel \d+ timed out/);
    assert.match(logs, /redelivered while still running here/);

    for (const view of views) {
      assert.equal(view.status, 'succeeded', `${view.id}: ${JSON.stringify(view.error)}`);
      assert.equal(view.attempts, 1, `${view.id} ran once: ${JSON.stringify(view.history)}`);
      assert.equal(view.history?.length, 1, `${view.id}: one attempt recorded`);
    }
  });
});
