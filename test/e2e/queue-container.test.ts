/**
 * ctx.queues in a container function's fetch handler under `fn up`: the container has no network
 * (its manifest asks for none), yet its sends reach a queue-triggered function, because the shim
 * asks the node over the socket in its directory and the node publishes. A send to a queue nobody
 * consumes is QUEUE_NOT_FOUND inside the function, and a loop it starts ends at the hop limit.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DeadLetterListResponse, ErrorBody, LogListResponse } from '../../core/api.ts';
import { waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { startFn, type FnServer } from './support/fn-process.ts';

describe('ctx.queues in a container function', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-queue-ctr-'));
  const dataDir = join(dir, '.fn');
  const suffix = randomBytes(3).toString('hex');
  const web = `qctr-${suffix}`;
  let server: FnServer;
  let api: Api;

  before(async () => {
    const args = ['up', '--port', '0', '--no-examples', '--data-dir', dataDir];
    server = await startFn(args, { cwd: dir });
    api = new Api(readCredentials(join(dataDir, 'credentials.json')));
  });

  after(async () => {
    // Removing the function removes its warm container too.
    await api?.fetch(`/v1/functions/${web}`, { method: 'DELETE' }).catch(() => undefined);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const logLines = async (name: string): Promise<Record<string, unknown>[]> => {
    const { body } = await api.json<LogListResponse>(`/v1/functions/${name}/logs?limit=1000`);
    return body.logs
      .filter((l) => l.message.startsWith('{'))
      .map((l) => JSON.parse(l.message) as Record<string, unknown>);
  };

  test('a fetch handler in a container publishes; failures and loops end as on isolates', async () => {
    const [queue, loop] = [`ctrsink-${suffix}`, `ctrloop-${suffix}`];
    const sink = `qctrsink-${suffix}`;
    await api.deployFixture(sink, 'queue-recorder', {
      triggers: { queue: { queue, maxWaitMs: 50 } },
    });
    const looper = `qctrloop-${suffix}`;
    await api.deployFixture(looper, 'queue-chain', {
      env: { NEXT: loop },
      triggers: { queue: { queue: loop, maxWaitMs: 50 } },
    });
    await api.deployFixture(web, 'queue-publisher', { runtime: 'container' });

    const sent = await waitFor(
      async () => {
        const response = await api.fetch(`/fn/${web}?queue=${queue}`, {
          method: 'POST',
          body: JSON.stringify([{ n: 1 }, { n: 2 }]),
        });
        return response.status === 200 ? await response.json() : undefined;
      },
      { what: 'the container function to answer', timeoutMs: 120_000 },
    );
    assert.deepEqual(sent, { sent: 2 });
    const seen = await waitFor(
      async () => {
        const lines = await logLines(sink);
        return lines.length >= 2 ? lines : undefined;
      },
      { what: 'both messages in the sink', timeoutMs: 60_000 },
    );
    assert.deepEqual(seen.map((s) => JSON.stringify(s.body)).sort(), ['{"n":1}', '{"n":2}']);

    const caught = await api.fetch(`/fn/${web}?queue=nobody-${suffix}&catch`, {
      method: 'POST',
      body: '{}',
    });
    assert.equal(caught.status, 502);
    assert.equal(((await caught.json()) as { code: string }).code, 'QUEUE_NOT_FOUND');
    const uncaught = await api.json<ErrorBody>(`/fn/${web}?queue=nobody-${suffix}`, {
      method: 'POST',
      body: '{}',
    });
    assert.equal(uncaught.body.error.code, 'QUEUE_NOT_FOUND', 'the invocation fails with it');

    // The container's message starts with one hop: 16 runs of the loop, then the refusal.
    const started = await api.fetch(`/fn/${web}?queue=${loop}`, { method: 'POST', body: '{}' });
    assert.equal(started.status, 200);
    const dead = await waitFor(
      async () => {
        const { body } = await api.json<DeadLetterListResponse>(`/v1/functions/${looper}/dlq`);
        return body.deadLetters.length > 0 ? body : undefined;
      },
      { what: 'the looping message dead-lettered', timeoutMs: 60_000 },
    );
    assert.equal(dead.deadLetters[0]?.error.code, 'QUEUE_LOOP_DETECTED');
    const hops = (await logLines(looper)).map((l) => l.hop as number);
    assert.deepEqual(
      hops.sort((a, b) => a - b),
      Array.from({ length: 16 }, (_, i) => i),
      'the container sent hop 1; hops 1 to 16 ran once each',
    );
  });
});
