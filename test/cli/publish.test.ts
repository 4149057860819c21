/**
 * `fn publish` against a gateway on a real embedded broker: --header K=V (repeatable) becomes
 * message headers, --file reads the body, a *.ndjson file is a batch published in order, and
 * bad input fails before anything is published.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FUNCTION_COMMANDS } from '../../cli/commands/index.ts';
import { runCli } from '../../cli/main.ts';
import { startQueueGateway, type QueueGateway } from '../support/queue-gateway.ts';
import { memoryIo } from './memory-io.ts';

async function fn(g: QueueGateway, cwd: string, ...args: string[]) {
  const io = memoryIo({ cwd, env: { FN_GATEWAY: g.url, FN_TOKEN: g.token } });
  const code = await runCli(args, { commands: FUNCTION_COMMANDS, version: 'test' }, io);
  return { code, stdout: io.out(), stderr: io.err() };
}

const text = (body: Uint8Array) => Buffer.from(body).toString('utf8');

test('fn publish --header K=V sets message headers; --file reads the body', async (t) => {
  const g = await startQueueGateway(t, 'cli-headers');
  const dir = await mkdtemp(join(tmpdir(), 'fjord-publish-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const one = await fn(
    g,
    dir,
    'publish',
    g.queue,
    '--data',
    '{"n":1}',
    '--header',
    'tenant=acme',
    '--header',
    'Trace-Id=a=b',
  );
  assert.equal(one.code, 0, one.stderr);
  const first = await g.received.next(10_000, 'the --data message');
  assert.equal(one.stdout.trim(), first.id);
  assert.equal(text(first.body), '{"n":1}');
  assert.deepEqual(first.headers, { tenant: 'acme', 'trace-id': 'a=b' });

  await writeFile(join(dir, 'note.txt'), 'from a file');
  const file = await fn(
    g,
    dir,
    'publish',
    g.queue,
    '--file',
    'note.txt',
    '--content-type',
    'text/plain',
  );
  assert.equal(file.code, 0, file.stderr);
  const second = await g.received.next(10_000, 'the --file message');
  assert.equal(text(second.body), 'from a file');
  assert.equal(second.contentType, 'text/plain');
});

test('fn publish --file x.ndjson publishes a batch in order and prints its ids', async (t) => {
  const g = await startQueueGateway(t, 'cli-batch');
  const dir = await mkdtemp(join(tmpdir(), 'fjord-publish-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'messages.ndjson'), '{"n":1}\n{"n":2}\n\n{"n":3}\n');
  const sent = await fn(g, dir, 'publish', g.queue, '--file', 'messages.ndjson', '--header', 'k=v');
  assert.equal(sent.code, 0, sent.stderr);
  const ids = sent.stdout.trim().split('\n');
  assert.equal(ids.length, 3);
  assert.match(sent.stderr, /published 3 messages into cli-batch/);
  const received = [];
  for (let i = 0; i < 3; i++) received.push(await g.received.next(10_000, `message ${i + 1}`));
  assert.deepEqual(
    received.map((m) => m.id),
    ids,
  );
  assert.deepEqual(
    received.map((m) => text(m.body)),
    ['{"n":1}', '{"n":2}', '{"n":3}'],
  );
  assert.deepEqual(received[2]?.headers, { k: 'v' });

  const json = await fn(g, dir, 'publish', g.queue, '--file', 'messages.ndjson', '--json');
  assert.equal(json.code, 0, json.stderr);
  const printed = JSON.parse(json.stdout) as { ids: string[]; queue: string };
  assert.equal(printed.ids.length, 3);
  assert.equal(printed.queue, 'cli-batch');
});

test('fn publish refuses a bad header, a bad batch line and --data with --file', async (t) => {
  const g = await startQueueGateway(t, 'cli-strict');
  const dir = await mkdtemp(join(tmpdir(), 'fjord-publish-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const header = await fn(g, dir, 'publish', g.queue, '--data', '{}', '--header', 'no-equals');
  assert.notEqual(header.code, 0);
  assert.match(header.stderr, /--header wants NAME=VALUE/);
  await writeFile(join(dir, 'bad.ndjson'), '{"n":1}\n{nope\n');
  const line = await fn(g, dir, 'publish', g.queue, '--file', 'bad.ndjson');
  assert.notEqual(line.code, 0);
  assert.match(line.stderr, /line 2 is not valid JSON/);
  const both = await fn(g, dir, 'publish', g.queue, '--data', '{}', '--file', 'bad.ndjson');
  assert.notEqual(both.code, 0);
  assert.match(both.stderr, /not both/);
  const missing = await fn(g, dir, 'publish', g.queue, '--file', 'nowhere.ndjson');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /cannot read nowhere.ndjson/);
  // None of these published anything: the next message is this one.
  const ok = await fn(g, dir, 'publish', g.queue, '--data', '{"ok":true}');
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((await g.received.next(10_000, 'the good message')).id, ok.stdout.trim());
});

test('fn publish --exchange X --routing-key K publishes through the exchange', async (t) => {
  const g = await startQueueGateway(t, 'cli-routed', { exchange: 'cli-x', routingKey: 'order.*' });
  const dir = await mkdtemp(join(tmpdir(), 'fjord-publish-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const args = ['publish', '--exchange', 'cli-x', '--routing-key', 'order.created'];
  const sent = await fn(g, dir, ...args, '--data', '{"n":1}', '--header', 'k=v');
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(
    sent.stderr,
    /published 1 message to exchange cli-x \(routing key "order.created"\)/,
  );
  const got = await g.received.next(10_000, 'the routed message');
  assert.equal(got.id, sent.stdout.trim());
  assert.equal(text(got.body), '{"n":1}');
  assert.deepEqual(got.headers, { k: 'v' });
  const json = await fn(g, dir, ...args, '--data', '{"n":2}', '--json');
  assert.equal(json.code, 0, json.stderr);
  const printed = JSON.parse(json.stdout) as Record<string, string>;
  assert.equal(printed.exchange, 'cli-x');
  assert.equal(printed.routingKey, 'order.created');
  assert.equal((await g.received.next(10_000, 'the --json message')).id, printed.id);

  const unmatched = await fn(g, dir, 'publish', '--exchange', 'cli-x', '--data', '{}');
  assert.notEqual(unmatched.code, 0);
  assert.match(unmatched.stderr, /QUEUE_NOT_FOUND|no queue is bound/);
  const both = await fn(g, dir, 'publish', g.queue, '--exchange', 'cli-x', '--data', '{}');
  assert.notEqual(both.code, 0);
  assert.match(both.stderr, /give a QUEUE or --exchange NAME/);
  const neither = await fn(g, dir, 'publish', '--data', '{}');
  assert.notEqual(neither.code, 0);
  assert.match(neither.stderr, /give a QUEUE or --exchange NAME/);
  const keyAlone = await fn(g, dir, 'publish', g.queue, '--routing-key', 'k', '--data', '{}');
  assert.notEqual(keyAlone.code, 0);
  assert.match(keyAlone.stderr, /--routing-key goes with --exchange/);
});
