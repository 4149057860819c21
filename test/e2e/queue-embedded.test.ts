/**
 * Queue triggers on the embedded broker of `fn up`: messages published with `fn publish` and
 * `POST /v1/queues/NAME/messages` reach queue(batch) with the same semantics as on RabbitMQ
 * (bodies by content type, headers, an explicit retry as attempt 2, a message that always
 * throws dead-lettered after maxRetries while its explicitly acked neighbours run once).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type {
  DeadLetterListResponse,
  ErrorBody,
  LogListResponse,
  QueuePublishResponse,
  RedriveResponse,
} from '../../core/api.ts';
import { waitFor } from '../support/inbox.ts';
import { Api, readCredentials } from './support/api.ts';
import { runFn, runFnJson, startFn, type FnServer } from './support/fn-process.ts';

interface Seen {
  queue: string;
  id: string;
  kind: string;
  body: unknown;
  headers: Record<string, string>;
  attempts: number;
}

describe('queue triggers on the embedded broker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-queue-embedded-'));
  const dataDir = join(dir, '.fn');
  const suffix = randomBytes(3).toString('hex');
  let server: FnServer;
  let api: Api;
  const fn = (args: string[]) => runFn([...args, '--data-dir', dataDir], { cwd: dir });
  const fnJson = <T>(args: string[]) =>
    runFnJson<T>([...args, '--data-dir', dataDir], { cwd: dir });

  before(async () => {
    const args = ['up', '--port', '0', '--data-dir', dataDir, '--no-examples'];
    server = await startFn(args, { cwd: dir });
    api = new Api(readCredentials(join(dataDir, 'credentials.json')));
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const deploy = async (
    prefix: string,
    queue: string,
    extra: Record<string, unknown> = {},
    manifest: Record<string, unknown> = {},
  ) => {
    const name = `${prefix}-${suffix}`;
    await api.deployFixture(name, 'queue-recorder', {
      ...manifest,
      triggers: { queue: { queue, maxWaitMs: 100, ...extra } },
    });
    return name;
  };

  const post = (queue: string, body: string, headers: Record<string, string> = {}) =>
    api.json<QueuePublishResponse & ErrorBody>(`/v1/queues/${queue}/messages`, {
      method: 'POST',
      headers,
      body,
    });

  const waitSeen = (name: string, what: string, done: (all: Seen[]) => boolean) =>
    waitFor(
      async () => {
        const { body } = await api.json<LogListResponse>(`/v1/functions/${name}/logs?limit=1000`);
        const all = body.logs
          .filter((l) => l.message.startsWith('{'))
          .map((l) => JSON.parse(l.message) as Seen);
        return done(all) ? all : undefined;
      },
      { what, timeoutMs: 60_000 },
    );

  test('fn publish and the HTTP endpoint deliver JSON, text and bytes with headers', async () => {
    const queue = `jobs-${suffix}`;
    const name = await deploy('qemb', queue);
    const json = await fnJson<QueuePublishResponse>(['publish', queue, '--data', '{"n":1}']);
    assert.equal(json.queue, queue);
    const plain = await fn([
      'publish',
      queue,
      '--data',
      'plain words',
      '--content-type',
      'text/plain',
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    const bytes = await post(queue, 'AB', {
      'content-type': 'application/octet-stream',
      'message-header-tenant': 'acme',
    });
    assert.equal(bytes.status, 202);
    const all = await waitSeen(name, 'three messages', (s) => s.length >= 3);
    const find = (kind: string) => all.find((s) => s.kind === kind);
    assert.deepEqual(find('object')?.body, { n: 1 });
    assert.equal(find('object')?.id, json.id, 'the id fn publish printed');
    assert.equal(find('string')?.body, 'plain words');
    assert.deepEqual(find('bytes')?.body, [65, 66]);
    assert.deepEqual(find('bytes')?.headers, { tenant: 'acme' });
    assert.equal(find('bytes')?.id, bytes.body.id);

    // Each batch is an invocation of its own, recorded as what it is: queue-triggered, async.
    const { body: page } = await api.json<LogListResponse>(`/v1/functions/${name}/logs?limit=1`);
    const batchId = page.logs[0]?.invocationId ?? '';
    const batch = await api.settled(batchId);
    assert.equal(batch.trigger, 'queue');
    assert.equal(batch.mode, 'async');
    assert.equal(batch.status, 'succeeded');
    const shown = await fn(['status', batchId]);
    assert.match(shown.stdout, new RegExp(`${name} version 1 \\(queue, async\\)`));
    const counted = new RegExp(
      `fjord_invocations_total\\{function="${name}",status="succeeded",trigger="queue"\\} [1-9]`,
    );
    await waitFor(
      async () => counted.test(await (await api.fetch('/metrics')).text()) || undefined,
      { what: 'the batch counted with trigger="queue" in /metrics', timeoutMs: 30_000 },
    );
  });

  test('an explicit retry runs as attempt 2; a message that always throws is dead-lettered', async () => {
    const queue = `work-${suffix}`;
    // Fast retries for the redrive below, which runs as an ordinary async invocation.
    const retries = { maxAttempts: 2, backoff: { initialMs: 100, maxMs: 200 } };
    const name = await deploy('qembretry', queue, { batchSize: 10, maxRetries: 1 }, { retries });
    const ids: Record<string, string> = {};
    for (const action of ['retry-once', 'throw', 'ok']) {
      const { status, body } = await post(queue, JSON.stringify({ action }), {
        'content-type': 'application/json',
      });
      assert.equal(status, 202);
      ids[action] = body.id;
    }
    const dead = await waitFor(
      async () => {
        const page = await fnJson<DeadLetterListResponse>(['dlq', 'ls', name]);
        return page.deadLetters.length > 0 ? page : undefined;
      },
      { what: 'the doomed message in fn dlq ls', timeoutMs: 60_000 },
    );
    assert.equal(dead.deadLetters[0]?.attempt, 2, 'the first attempt and maxRetries (1) retry');
    assert.match(dead.deadLetters[0]?.error.message ?? '', /always fails/);
    const all = await waitSeen(name, 'the retried message again', (s) =>
      s.some((m) => m.id === ids['retry-once'] && m.attempts === 2),
    );
    const attempts = (id = '') => all.filter((s) => s.id === id).map((s) => s.attempts);
    assert.deepEqual(attempts(ids.throw), [1, 2]);
    assert.deepEqual(attempts(ids['retry-once']), [1, 2]);
    assert.deepEqual(attempts(ids.ok), [1]);

    // A redrive runs queue() on the message alone, as an invocation with the retry policy: it
    // throws again, so it fails every attempt and is dead once more.
    const letterId = dead.deadLetters[0]?.id ?? '';
    const redriven = await fnJson<RedriveResponse>(['dlq', 'redrive', name, '--id', letterId]);
    assert.deepEqual(redriven, { redriven: 1, missing: [] });
    const view = await api.settled(letterId, 60_000);
    assert.equal(view.status, 'dead');
    assert.match(view.error?.message ?? '', /always fails/);
  });

  test('ctx.queues.send() chains one function into another', async () => {
    const [first, second] = [`ca-${suffix}`, `cb-${suffix}`];
    const sink = await deploy('qsink', second);
    await api.deployFixture(`qsource-${suffix}`, 'queue-chain', {
      env: { NEXT: second, NOTE: 'yes' },
      triggers: { queue: { queue: first, maxWaitMs: 100 } },
    });
    const { body } = await post(first, '{"n":1}', { 'content-type': 'application/json' });
    const all = await waitSeen(sink, 'the forwarded message and the note', (s) => s.length >= 2);
    assert.deepEqual(all.find((s) => s.kind === 'object')?.body, { n: 1, hop: 1 });
    assert.equal(all.find((s) => s.kind === 'string')?.body, `forwarded ${body.id}`);
  });

  test('a loop between queues ends in the dead-letter queue with QUEUE_LOOP_DETECTED', async () => {
    const queue = `loop-${suffix}`;
    const name = `qloop-${suffix}`;
    await api.deployFixture(name, 'queue-chain', {
      env: { NEXT: queue },
      triggers: { queue: { queue, maxWaitMs: 50 } },
    });
    await post(queue, '{}', { 'content-type': 'application/json' });
    const dead = await waitFor(
      async () => {
        const page = await fnJson<DeadLetterListResponse>(['dlq', 'ls', name]);
        return page.deadLetters.length > 0 ? page : undefined;
      },
      { what: 'the looping message in fn dlq ls', timeoutMs: 60_000 },
    );
    assert.equal(dead.deadLetters[0]?.error.code, 'QUEUE_LOOP_DETECTED');
    assert.equal(dead.deadLetters[0]?.attempt, 1, 'a loop is not retried');
    const { body } = await api.json<LogListResponse>(`/v1/functions/${name}/logs?limit=1000`);
    const hops = body.logs.map((l) => (JSON.parse(l.message) as { hop: number }).hop);
    assert.deepEqual(
      hops.sort((a, b) => a - b),
      Array.from({ length: 17 }, (_, i) => i),
      'hops 0 to 16 ran once each; the 17th send was refused',
    );
  });

  test('a fetch handler publishes with ctx.queues; a loop it starts is stopped', async () => {
    const [queue, loop] = [`web-${suffix}`, `webloop-${suffix}`];
    const sink = await deploy('qwebsink', queue);
    const looper = `qwebloop-${suffix}`;
    await api.deployFixture(looper, 'queue-chain', {
      env: { NEXT: loop },
      triggers: { queue: { queue: loop, maxWaitMs: 50 } },
    });
    const web = `qweb-${suffix}`;
    await api.deployFixture(web, 'queue-publisher', {});
    const sent = await api.fetch(`/fn/${web}?queue=${queue}`, {
      method: 'POST',
      body: JSON.stringify([{ n: 1 }, { n: 2 }]),
    });
    assert.equal(sent.status, 200);
    assert.deepEqual(await sent.json(), { sent: 2 });
    const all = await waitSeen(sink, 'both messages from the fetch handler', (s) => s.length >= 2);
    assert.deepEqual(
      all.map((s) => s.body).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [{ n: 1 }, { n: 2 }],
    );

    const missing = await api.fetch(`/fn/${web}?queue=nobody-${suffix}&catch`, {
      method: 'POST',
      body: '{}',
    });
    assert.equal(missing.status, 502);
    assert.equal(((await missing.json()) as { code: string }).code, 'QUEUE_NOT_FOUND');

    // The fetch handler's message starts with one hop: 16 runs of the loop, then the refusal.
    const started = await api.fetch(`/fn/${web}?queue=${loop}`, { method: 'POST', body: '{}' });
    assert.equal(started.status, 200);
    const dead = await waitFor(
      async () => {
        const page = await fnJson<DeadLetterListResponse>(['dlq', 'ls', looper]);
        return page.deadLetters.length > 0 ? page : undefined;
      },
      { what: 'the looping message in fn dlq ls', timeoutMs: 60_000 },
    );
    assert.equal(dead.deadLetters[0]?.error.code, 'QUEUE_LOOP_DETECTED');
    const { body } = await api.json<LogListResponse>(`/v1/functions/${looper}/logs?limit=1000`);
    const hops = body.logs.map((l) => (JSON.parse(l.message) as { hop: number }).hop);
    assert.deepEqual(
      hops.sort((a, b) => a - b),
      Array.from({ length: 16 }, (_, i) => i),
      'the fetch handler sent hop 1; hops 1 to 16 ran once each',
    );
  });

  test('bad publishes fail with specific errors', async () => {
    const queue = `strict-${suffix}`;
    await deploy('qembstrict', queue);
    const unknown = await post(`nobody-${suffix}`, '{}', { 'content-type': 'application/json' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'QUEUE_NOT_FOUND');
    const badJson = await post(queue, '{nope', { 'content-type': 'application/json' });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.error.code, 'INVALID_JSON');
    const badName = await post('amq.direct', '{}');
    assert.equal(badName.status, 400);
    const anonymous = await api.json<ErrorBody>(`/v1/queues/${queue}/messages`, {
      method: 'POST',
      body: '{}',
      auth: false,
    });
    assert.equal(anonymous.status, 401);
    const cli = await fn(['publish', queue, '--data', '{nope']);
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /not valid JSON/);
    const help = await fn(['publish', '--help']);
    assert.match(help.stdout, /Usage: fn publish \[QUEUE\]/);
    assert.match(help.stdout, /--exchange NAME/);
  });
});
