/**
 * Delivery guarantees end to end, with a real `fn up` on either broker: retries until success,
 * the dead-letter queue and its redrive through the CLI, non-retryable errors, cancellation,
 * idempotency keys and callbacks. delivery-embedded.test.ts and delivery-rabbitmq.test.ts run it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import type {
  DeadLetterDetail,
  DeadLetterListResponse,
  InvocationView,
  LogListResponse,
  RedriveResponse,
} from '../../core/api.ts';
import { Inbox, waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { runFnJson, startFn, type FnServer } from './support/fn-process.ts';

/** Fast retries, so a test waits fractions of a second for each. */
const RETRIES = { maxAttempts: 3, backoff: { initialMs: 100, maxMs: 400 } };

export function deliverySuite(label: string, brokerArgs: readonly string[]): void {
  describe(`delivery guarantees on ${label}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'fjord-delivery-'));
    const dataDir = join(dir, '.fn');
    const suffix = randomBytes(3).toString('hex');
    const deployed: string[] = [];
    let server: FnServer;
    let api: Api;
    const fnJson = <T>(args: string[]): Promise<T> =>
      runFnJson<T>([...args, '--data-dir', dataDir], { cwd: dir });

    before(async () => {
      const args = ['up', '--port', '0', '--data-dir', dataDir, '--no-examples', ...brokerArgs];
      server = await startFn(args, { cwd: dir });
      api = new Api(readCredentials(join(dataDir, 'credentials.json')));
    });

    after(async () => {
      // Deleted through the gateway, so no queue is left behind on a shared RabbitMQ.
      for (const name of deployed) {
        await api?.fetch(`/v1/functions/${name}`, { method: 'DELETE' }).catch(() => undefined);
      }
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const deploy = async (prefix: string, manifest: Record<string, unknown> = {}) => {
      const name = `${prefix}-${suffix}`;
      deployed.push(name);
      await api.deployFixture(name, 'flaky', { retries: RETRIES, ...manifest });
      return name;
    };

    test('a function failing twice then succeeding ends succeeded on attempt 3', async () => {
      const name = await deploy('twice');
      const id = await api.invokeAsync(name, { failTimes: 2 });
      const view = await api.settled(id);
      assert.equal(view.status, 'succeeded');
      assert.equal(view.attempts, 3);
      assert.deepEqual(view.result, { attempt: 3 });
      assert.deepEqual(
        view.history?.map((a) => [a.attempt, a.status, a.error?.message]),
        [
          [1, 'failed', 'attempt 1 fails on purpose'],
          [2, 'failed', 'attempt 2 fails on purpose'],
          [3, 'succeeded', undefined],
        ],
      );
    });

    test('one that keeps failing is dead, listed by fn dlq, and a redrive runs it again', async () => {
      const name = await deploy('doomed');
      const id = await api.invokeAsync(name, { failTimes: 3 });
      const dead = await api.settled(id);
      assert.equal(dead.status, 'dead');
      assert.equal(dead.attempts, 3);
      assert.equal(dead.error?.code, 'FUNCTION_ERROR');
      // The dead letter travels apart from the last result: wait for it to be recorded.
      const listed = await waitFor(
        async () => {
          const page = await fnJson<DeadLetterListResponse>(['dlq', 'ls', name]);
          return page.deadLetters.find((l) => l.id === id);
        },
        { what: 'the dead letter in fn dlq ls' },
      );
      assert.equal(listed.attempt, 3);
      const shown = await fnJson<DeadLetterDetail>(['dlq', 'show', name, id]);
      assert.deepEqual(shown.payload, { kind: 'event', data: { failTimes: 3 } });
      assert.equal(shown.history.length, 3);

      const redriven = await fnJson<RedriveResponse>(['dlq', 'redrive', name, '--id', id]);
      assert.deepEqual(redriven, { redriven: 1, missing: [] });
      const again = await waitFor(
        async () => {
          const view = await api.invocation(id);
          return view.status === 'succeeded' ? view : undefined;
        },
        { what: 'the redriven invocation to succeed' },
      );
      assert.equal(again.attempts, 4, 'attempt numbers count on after a redrive');
      const after = await fnJson<DeadLetterListResponse>(['dlq', 'ls', name]);
      assert.equal(after.total, 0);
    });

    test('a non-retryable error fails at once and is not dead-lettered', async () => {
      const name = await deploy('refuse');
      const id = await api.invokeAsync(name, { nonRetryable: true });
      const view = await api.settled(id);
      assert.equal(view.status, 'failed');
      assert.equal(view.attempts, 1);
      assert.equal(view.error?.name, 'NonRetryableError');
      assert.equal(view.history?.length, 1);
      const page = await fnJson<DeadLetterListResponse>(['dlq', 'ls', name]);
      assert.equal(page.total, 0);
    });

    test('a cancelled invocation is skipped when its turn comes', async () => {
      const name = await deploy('cancel', { concurrency: 1 });
      const blocker = await api.invokeAsync(name, { sleepMs: 1500 });
      await waitFor(async () => (await api.invocation(blocker)).status === 'running', {
        what: 'the blocker to run',
      });
      const victim = await api.invokeAsync(name, {});
      const cancelled = await api.json<InvocationView>(`/v1/invocations/${victim}`, {
        method: 'DELETE',
      });
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.body.status, 'cancelled');
      const running = await api.json(`/v1/invocations/${blocker}`, { method: 'DELETE' });
      assert.equal(running.status, 409);

      // One at a time, in order: once the marker ran, the victim's turn has come and gone.
      const marker = await api.invokeAsync(name, {});
      assert.equal((await api.settled(marker)).status, 'succeeded');
      const view = await api.invocation(victim);
      assert.equal(view.status, 'cancelled');
      assert.equal(view.attempts, 0);
      const logs = await api.json<LogListResponse>(
        `/v1/functions/${name}/logs?invocation=${victim}`,
      );
      assert.deepEqual(logs.body.logs, [], 'the victim never ran');
    });

    test('the same Idempotency-Key runs the invocation once', async () => {
      const name = await deploy('idem');
      const send = () =>
        api.json<{ id: string }>(`/v1/functions/${name}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `order-${suffix}` },
          body: '{}',
        });
      const first = await send();
      const second = await send();
      assert.equal(first.status, 202);
      assert.equal(second.status, 202);
      assert.equal(second.body.id, first.body.id);
      assert.equal(second.headers.get('location'), first.headers.get('location'));
      await api.settled(first.body.id);
      const marker = await api.invokeAsync(name, {});
      await api.settled(marker);
      const logs = await api.json<LogListResponse>(`/v1/functions/${name}/logs`);
      assert.deepEqual(
        [...new Set(logs.body.logs.map((l) => l.invocationId))].sort(),
        [first.body.id, marker].sort(),
        'nothing else ran',
      );
    });

    test('the result is called back, again after the receiver first answers 500', async (t) => {
      const name = await deploy('callback');
      const got = new Inbox<{ headers: IncomingHttpHeaders; body: InvocationView }>();
      let calls = 0;
      const receiver = createServer((request, response) => {
        void text(request).then((body) => {
          response.writeHead(calls++ === 0 ? 500 : 204).end();
          got.push({ headers: request.headers, body: JSON.parse(body) as InvocationView });
        });
      });
      receiver.listen(0, '127.0.0.1');
      await once(receiver, 'listening');
      t.after(() => receiver.close());
      const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/done`;

      const accepted = await api.json<{ id: string }>(`/v1/functions/${name}/invocations`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-callback-url': url,
          'x-call-id': `cb-${suffix}`,
        },
        body: '{"failTimes":1}',
      });
      assert.equal(accepted.status, 202);
      const { id } = accepted.body;
      const first = await got.next(30_000, 'the first callback');
      const second = await got.next(30_000, 'the retried callback');
      for (const call of [first, second]) {
        assert.equal(call.headers['x-fjord-invocation-id'], id);
        assert.equal(call.headers['x-call-id'], `cb-${suffix}`);
        assert.equal(call.headers['x-fjord-status'], 'succeeded');
        assert.equal(call.headers['x-fjord-attempt'], '2', 'called back once, when it ended');
        assert.equal(call.body.id, id);
        assert.deepEqual(call.body.result, { attempt: 2 });
      }
      assert.equal(second.headers['x-fjord-callback-attempt'], '2');
      const view = await waitFor(
        async () => {
          const current = await api.invocation(id);
          return current.callback?.state === 'delivered' ? current : undefined;
        },
        { what: 'the callback recorded as delivered' },
      );
      assert.equal(view.callback?.attempts, 2);
      assert.equal(view.callback.lastStatus, 204);
    });
  });
}
