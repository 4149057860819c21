/**
 * What crosses the isolate host's IPC channel is JSON (runtime/isolate-host/host-protocol.ts):
 * the host process's log lines keep their errors readable and still get out with a field JSON
 * cannot encode, and a queue send JSON cannot encode fails in the function instead of waiting
 * for an answer that never comes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FjordError } from '../../core/errors.ts';
import { childLogger } from '../../runtime/isolate-host/child-logger.ts';
import type { ChildMessage } from '../../runtime/isolate-host/host-protocol.ts';
import { QueueRequests } from '../../runtime/isolate-host/queue-requests.ts';

/** Sends as Node's 'json' IPC serialization does: stringified (throwing) and parsed again. */
function jsonChannel(): { sent: ChildMessage[]; send: (message: ChildMessage) => void } {
  const sent: ChildMessage[] = [];
  return {
    sent,
    send: (message) => sent.push(JSON.parse(JSON.stringify(message)) as ChildMessage),
  };
}

test("a log line's error field crosses as its name, message, stack and code", () => {
  const channel = jsonChannel();
  const logger = childLogger(channel.send, { component: 'isolate-host' }).child({ pid: 7 });
  const error = Object.assign(new TypeError('bundle is broken'), { code: 'E_BROKEN' });
  logger.warn({ fn: 'f', reason: error }, 'prewarming failed');
  assert.deepEqual(channel.sent, [
    {
      type: 'log',
      level: 'warn',
      obj: {
        component: 'isolate-host',
        pid: 7,
        fn: 'f',
        reason: {
          type: 'TypeError',
          message: 'bundle is broken',
          stack: error.stack,
          code: 'E_BROKEN',
        },
      },
      msg: 'prewarming failed',
    },
  ]);
});

test('a log line with a field JSON cannot encode still gets out, without its fields', () => {
  const channel = jsonChannel();
  childLogger(channel.send, { component: 'isolate-host' }).error({ size: 10n }, 'odd');
  assert.deepEqual(channel.sent, [
    {
      type: 'log',
      level: 'error',
      obj: { component: 'isolate-host', fields: 'not serializable' },
      msg: 'odd',
    },
  ]);
});

test('a queue send JSON cannot encode rejects at once; the others are answered by id', async () => {
  const channel = jsonChannel();
  const queues = new QueueRequests(channel.send);
  const send = (json: unknown) => ({
    queue: 'q',
    body: { json },
    contentType: 'application/json',
  });
  await assert.rejects(queues.publish([send({ n: 1n })]), {
    name: 'TypeError',
    message: 'queues.send: the body cannot be encoded as JSON',
  });
  assert.equal(channel.sent.length, 0);
  const ok = queues.publish([send({ n: 1 })]);
  const refused = queues.publish([send({ n: 2 })]);
  const ids = channel.sent.map((message) => (message.type === 'queue' ? message.id : 0));
  assert.equal(ids.length, 2);
  queues.settle(ids[1] ?? 0, new FjordError('QUEUE_NOT_FOUND', 'no queue q').toData());
  queues.settle(ids[0] ?? 0, undefined);
  await ok;
  await assert.rejects(refused, { code: 'QUEUE_NOT_FOUND' });
});
