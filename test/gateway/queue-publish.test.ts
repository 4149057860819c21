/**
 * POST /v1/queues/NAME/messages on a real embedded broker: one message with its headers, and a
 * batch (application/x-ndjson, one JSON message a line) published in order, or refused whole
 * when a line is bad, empty or too many.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PUBLISH_BATCH, NDJSON_TYPE } from '../../core/api.ts';
import { startQueueGateway, type QueueGateway } from '../support/queue-gateway.ts';

async function post(
  g: QueueGateway,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${g.url}/v1/queues/${g.queue}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${g.token}`, ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const text = (body: Uint8Array) => Buffer.from(body).toString('utf8');

test('one message carries its body, content type and Message-Header-* headers', async (t) => {
  const g = await startQueueGateway(t, 'single');
  const sent = await post(g, 'hi', {
    'content-type': 'text/plain',
    'message-header-tenant': 'acme',
    'message-header-trace-id': 't-1',
  });
  assert.equal(sent.status, 202);
  const message = await g.received.next(10_000, 'the message');
  assert.equal(message.id, sent.body.id);
  assert.equal(text(message.body), 'hi');
  assert.equal(message.contentType, 'text/plain');
  assert.deepEqual(message.headers, { tenant: 'acme', 'trace-id': 't-1' });
});

test('an NDJSON batch is published in order, each line a JSON message with the headers', async (t) => {
  const g = await startQueueGateway(t, 'batch');
  const lines = ['{"n":1}', '', '"two"', '[3]', ''];
  const sent = await post(g, lines.join('\n'), {
    'content-type': `${NDJSON_TYPE}; charset=utf-8`,
    'message-header-tenant': 'acme',
  });
  assert.equal(sent.status, 202);
  assert.equal(sent.body.queue, 'batch');
  const ids = sent.body.ids as string[];
  assert.equal(ids.length, 3);
  const received = [];
  for (let i = 0; i < 3; i++) received.push(await g.received.next(10_000, `message ${i + 1}`));
  assert.deepEqual(
    received.map((m) => m.id),
    ids,
  );
  assert.deepEqual(
    received.map((m) => text(m.body)),
    ['{"n":1}', '"two"', '[3]'],
  );
  for (const message of received) {
    assert.equal(message.contentType, 'application/json');
    assert.deepEqual(message.headers, { tenant: 'acme' });
  }
});

test('a batch with a bad line, no line or too many lines is refused whole', async (t) => {
  const g = await startQueueGateway(t, 'strict');
  const ndjson = { 'content-type': NDJSON_TYPE };
  const bad = await post(g, '{"n":1}\n{nope\n', ndjson);
  assert.equal(bad.status, 400);
  assert.equal((bad.body.error as { code: string }).code, 'INVALID_JSON');
  assert.match((bad.body.error as { message: string }).message, /^line 2 /);
  const empty = await post(g, '\n\n', ndjson);
  assert.equal(empty.status, 400);
  assert.equal((empty.body.error as { code: string }).code, 'BAD_REQUEST');
  const many = await post(g, '1\n'.repeat(MAX_PUBLISH_BATCH + 1), ndjson);
  assert.equal(many.status, 400);
  assert.match((many.body.error as { message: string }).message, /at most 1000/);
  // Nothing of the refused batches was published: the next message is the one sent now.
  const after = await post(g, '{"after":true}', { 'content-type': 'application/json' });
  assert.equal(after.status, 202);
  const next = await g.received.next(10_000, 'the message after the refused batches');
  assert.equal(next.id, after.body.id);
});
