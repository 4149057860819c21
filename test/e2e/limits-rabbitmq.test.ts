/**
 * Load shedding end to end: `fn up --broker amqp://... --max-queued N` on a real RabbitMQ with a
 * slow function that runs one invocation at a time. Once N wait in its queue, the gateway answers
 * 503 OVERLOADED with Retry-After, sync and async alike, and admits again by itself once the node
 * has worked the queue down; every invocation it accepted still runs.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ErrorBody } from '../../core/api.ts';
import { waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { startFn, type FnServer } from './support/fn-process.ts';
import { testVhost } from './support/rabbitmq.ts';

const MAX_QUEUED = 4;
/** Long enough that the queue fills faster than one node at concurrency 1 empties it. */
const SLEEP_MS = 400;

const dir = mkdtempSync(join(tmpdir(), 'fjord-limits-'));
const dataDir = join(dir, '.fn');
const name = `slow-${randomBytes(3).toString('hex')}`;
// At the top level: its cleanup must run when the file ends, not when a hook does.
const amqpUrl = testVhost();
let server: FnServer;
let api: Api;

before(async () => {
  const args = ['up', '--port', '0', '--data-dir', dataDir, '--no-examples'];
  args.push('--broker', amqpUrl, '--max-queued', String(MAX_QUEUED));
  server = await startFn(args, { cwd: dir });
  api = new Api(readCredentials(join(dataDir, 'credentials.json')));
  await api.deployFixture(name, 'sleep', { concurrency: 1, timeoutMs: 60_000 });
});

after(async () => {
  await api?.fetch(`/v1/functions/${name}`, { method: 'DELETE' }).catch(() => undefined);
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The warnings and errors `fn up` logged, for a failure message. */
function warnings(): string {
  return server
    .stderr()
    .split('\n')
    .filter((line) => /"level":(40|50|60)/.test(line))
    .slice(-10)
    .join('\n');
}

async function invoke(query = ''): Promise<Response> {
  return api.fetch(`/v1/functions/${name}/invocations${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ms: SLEEP_MS }),
  });
}

test('a full queue sheds invocations with 503 until the node drains it', async () => {
  const accepted: string[] = [];
  let shed: Response | undefined;
  // Each acceptance adds one to the queue; the node takes one at a time, SLEEP_MS each.
  for (let i = 0; i < 100 && shed === undefined; i++) {
    const response = await invoke();
    if (response.status === 202) accepted.push(((await response.json()) as { id: string }).id);
    else shed = response;
  }
  assert.ok(shed !== undefined, 'the gateway shed load');
  assert.equal(shed.status, 503);
  assert.equal(shed.headers.get('retry-after'), '1');
  const { code } = ((await shed.json()) as ErrorBody).error;
  assert.equal(code, 'OVERLOADED', `${code}; the gateway logged:\n${warnings()}`);
  // A sample that overlaps admissions may count them twice (on the safe side), so shedding
  // can start a little before MAX_QUEUED wait; it never starts with the queue empty.
  assert.ok(accepted.length > 0, 'invocations were accepted before shedding');

  const sync = await invoke('?wait=true');
  if (sync.status === 503) {
    assert.equal(((await sync.json()) as ErrorBody).error.code, 'OVERLOADED');
  } else {
    assert.equal(sync.status, 200, 'the queue drained meanwhile: the sync call ran');
  }

  const metrics = await (await api.fetch('/metrics')).text();
  assert.match(
    metrics,
    new RegExp(`fjord_rejected_total\\{reason="overloaded",function="${name}"\\} \\d`),
  );
  // The depth gauge is a sample taken once a second: wait for the first one that has the function.
  const depthLine = new RegExp(`fjord_queue_depth\\{function="${name}"\\} \\d`);
  await waitFor(async () => depthLine.test(await (await api.fetch('/metrics')).text()), {
    what: 'fjord_queue_depth for the function in /metrics',
    intervalMs: 200,
  });

  // Recovery needs nobody: the node works the queue down, the next sample lets requests in.
  const admitted = await waitFor(
    async () => {
      const response = await invoke();
      return response.status === 202 ? ((await response.json()) as { id: string }).id : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: 'the gateway to admit again' },
  );
  for (const id of [...accepted, admitted]) {
    assert.equal((await api.settled(id, 60_000)).status, 'succeeded', `invocation ${id}`);
  }
});
