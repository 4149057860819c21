/**
 * Two `fn gateway` processes sharing one PostgreSQL store (and one RabbitMQ vhost), with one
 * `fn node`: what is deployed through one gateway is served through the other, the result of
 * an invocation accepted by one is visible through the other, and a schedule fires once per
 * tick although both gateways run a scheduler.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { InvocationView, LogListResponse } from '../../core/api.ts';
import { waitFor } from '../support/inbox.ts';
import { storeUrl, testSchema } from '../support/postgres.ts';
import { Api, readCredentials } from './support/api.ts';
import { runFnJson, startFn, type FnServer } from './support/fn-process.ts';
import { testVhost } from './support/rabbitmq.ts';

describe('two fn gateways on one PostgreSQL store', () => {
  const AMQP_URL = testVhost();
  const dir = mkdtempSync(join(tmpdir(), 'fjord-pg-'));
  const suffix = randomBytes(3).toString('hex');
  const servers: FnServer[] = [];
  let a: Api;
  let b: Api;

  after(async () => {
    for (const server of servers) await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  // Registered after the stop above, so the schema is dropped once no gateway uses it.
  const STORE_URL = storeUrl(testSchema({ after }));

  const startGateway = async (name: string): Promise<Api> => {
    const dataDir = join(dir, name);
    const gateway = await startFn(
      ['gateway', '--port', '0', '--data-dir', dataDir, '--broker', AMQP_URL],
      { cwd: dir, env: { FN_STORE: STORE_URL } },
    );
    servers.push(gateway);
    return new Api(readCredentials(join(dataDir, 'credentials.json')));
  };

  before(async () => {
    // Both at once: the second must wait for the first's migration, not fail on it.
    [a, b] = await Promise.all([startGateway('a'), startGateway('b')]);
    const nodeToken = readFileSync(join(dir, 'a', 'node-token'), 'utf8').trim();
    servers.push(
      await startFn(['node', '--broker', AMQP_URL, '--gateway', a.base, '--token', nodeToken], {
        cwd: dir,
      }),
    );
  });

  test('deployed through A, invoked through B, its result seen through A by fn status', async () => {
    const hello = `hello-${suffix}`;
    await a.deployFixture(hello, 'hello');
    const response = await waitFor(
      async () => {
        const r = await fetch(`${b.base}/fn/${hello}`);
        return r.status === 201 ? r : undefined;
      },
      { what: 'gateway B to serve the function deployed through A' },
    );
    assert.equal(await response.text(), 'hello from fjord');

    const echo = `echo-${suffix}`;
    await a.deployFixture(echo, 'event-echo');
    const id = await b.invokeAsync(echo, { name: 'Oslo' });
    // B's token works on A too: tokens live in the shared store.
    const status = (args: string[]) =>
      runFnJson<InvocationView>(args, { cwd: dir, env: { FN_GATEWAY: a.base, FN_TOKEN: b.token } });
    const view = await waitFor(
      async () => {
        const v = await status(['status', id]);
        return v.status === 'succeeded' ? v : undefined;
      },
      { what: 'fn status through A to show the invocation accepted by B succeeded' },
    );
    assert.equal((view.result as { greeting: string }).greeting, 'hello Oslo');
  });

  test('a schedule fires once per tick with both gateways running its scheduler', async () => {
    const cron = `cron-${suffix}`;
    await b.deployFixture(cron, 'scheduled-event', {
      triggers: { schedule: { cron: '* * * * * *' } },
    });
    const logs = await waitFor(
      async () => {
        const { body } = await a.json<LogListResponse>(`/v1/functions/${cron}/logs?limit=1000`);
        return body.logs.length >= 4 && body.logs;
      },
      { timeoutMs: 30_000, what: 'four ticks logged' },
    );
    const ticks = logs.map((line) => {
      const match = /^event (.+)$/.exec(line.message);
      assert.ok(match?.[1], `unexpected log line: ${line.message}`);
      return (JSON.parse(match[1]) as { scheduledTime: number }).scheduledTime;
    });
    assert.equal(new Set(ticks).size, ticks.length, `a tick ran twice: ${ticks.join()}`);
    // Deleting through A stops both schedulers (and leaves no queue behind).
    const deleted = await a.fetch(`/v1/functions/${cron}`, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
  });
});
