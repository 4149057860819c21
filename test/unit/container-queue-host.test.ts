/**
 * The node's side of a container's ctx.queues (runtime/container/queue-host.ts), on a real unix
 * socket: sends are taken only with the token of an invocation running now, and an invocation's
 * reply keeps a queue error code only when one of its own sends failed with it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FjordError, type ErrorData } from '../../core/errors.ts';
import type { QueueSend } from '../../core/messages.ts';
import { HOST_SOCKET_NAME, QueueHost } from '../../runtime/container/queue-host.ts';

interface Reply {
  ok: boolean;
  error?: { name: string; message: string; code?: string };
}

function post(socketPath: string, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/queues/send', method: 'POST' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Reply));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const send = (queue: string): QueueSend => ({
  queue,
  body: { json: { n: 1 } },
  contentType: 'application/json',
});

describe('the queue socket of a container', () => {
  const published: QueueSend[] = [];
  let dir: string;
  let socket: string;
  let host: QueueHost;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fjord-queue-host-'));
    socket = join(dir, HOST_SOCKET_NAME);
    host = new QueueHost(async (sends) => {
      if (sends[0]?.queue === 'down') throw new FjordError('BROKER_UNAVAILABLE', 'no broker');
      published.push(...sends);
    });
    await host.listen(socket);
  });
  after(async () => {
    host.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the socket is connectable by the container user whoever the node runs as', async () => {
    assert.equal((await stat(socket)).mode & 0o777, 0o666);
  });

  test('a running invocation publishes with its token; an ended one cannot', async () => {
    const token = host.begin(Date.now() + 60_000);
    const sent = await post(socket, JSON.stringify({ token, sends: [send('orders')] }));
    assert.deepEqual(sent, { ok: true });
    assert.deepEqual(published, [send('orders')]);
    host.end(token, { ok: true });
    const late = await post(socket, JSON.stringify({ token, sends: [send('orders')] }));
    assert.equal(late.ok, false);
    assert.match(late.error?.message ?? '', /has ended/);
    const guessed = await post(socket, JSON.stringify({ token: 'x'.repeat(32), sends: [] }));
    assert.equal(guessed.ok, false);
    assert.equal(published.length, 1, 'nothing more was published');
  });

  test('malformed messages and too many are refused as the isolate host refuses them', async () => {
    const token = host.begin(Date.now() + 60_000);
    const bad = await post(socket, JSON.stringify({ token, sends: [{ queue: 'q' }] }));
    assert.equal(bad.error?.name, 'TypeError');
    const notJson = await post(socket, '{nope');
    assert.equal(notJson.error?.name, 'TypeError');
    const many = Array.from({ length: 1001 }, () => send('orders'));
    const tooMany = await post(socket, JSON.stringify({ token, sends: many }));
    assert.equal(tooMany.error?.name, 'RangeError');
    host.end(token, { ok: true });
  });

  test('a reply keeps a queue code only when a send of its own failed with it', async () => {
    const claim = (code: ErrorData['code']) => ({
      ok: false,
      error: { code, message: 'uncaught' },
    });
    const failed = host.begin(Date.now() + 60_000);
    const refused = await post(socket, JSON.stringify({ token: failed, sends: [send('down')] }));
    assert.deepEqual(refused.error, {
      name: 'Error',
      message: 'no broker',
      code: 'BROKER_UNAVAILABLE',
    });
    assert.equal(host.end(failed, claim('BROKER_UNAVAILABLE')).error.code, 'BROKER_UNAVAILABLE');

    const forged = host.begin(Date.now() + 60_000);
    assert.equal(host.end(forged, claim('BROKER_UNAVAILABLE')).error.code, 'FUNCTION_ERROR');
    const other = host.begin(Date.now() + 60_000);
    assert.equal(
      host.end(other, claim('BAD_REQUEST')).error.code,
      'BAD_REQUEST',
      'not a queue code',
    );
  });

  test('without a publisher every send is QUEUE_NOT_FOUND', async () => {
    const bare = new QueueHost(undefined);
    const path = join(dir, 'bare.sock');
    await bare.listen(path);
    try {
      const token = bare.begin(Date.now() + 60_000);
      const reply = await post(path, JSON.stringify({ token, sends: [send('orders')] }));
      assert.equal(reply.error?.code, 'QUEUE_NOT_FOUND');
    } finally {
      bare.close();
    }
  });
});

test('a queue socket closed before it listens (a removal racing the boot) never opens', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fjord-queue-host-'));
  try {
    const host = new QueueHost(undefined);
    host.close();
    await host.listen(join(dir, HOST_SOCKET_NAME));
    assert.equal(host.listening, false, 'a listening socket would keep the node process alive');
    await assert.rejects(stat(join(dir, HOST_SOCKET_NAME)), { code: 'ENOENT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
