import { MAX_PUBLISH_BATCH, NDJSON_TYPE } from '../../core/api.ts';
import type { OutgoingQueueMessage } from '../../core/broker.ts';
import { FjordError } from '../../core/errors.ts';
import type { GatewayContext, GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { requireScope } from '../middleware/auth.ts';
import { readBody } from '../middleware/read-body.ts';

/** Request headers that become message headers: `Message-Header-Tenant: acme` gives `tenant`. */
const HEADER_PREFIX = 'message-header-';
/** As fn.json `triggers.queue.queue` allows. */
const QUEUE_NAME = /^(?!amq\.)[A-Za-z0-9._:-]{1,200}$/;
/** As fn.json `triggers.queue.exchange` allows. */
const EXCHANGE_NAME = /^[A-Za-z0-9._:-]{1,200}$/;
/** AMQP carries a routing key as a short string. */
const MAX_ROUTING_KEY_BYTES = 255;
const JSON_TYPE = /^application\/([^/;]+\+)?json\s*(;|$)/i;
/** A batch: {@link NDJSON_TYPE}, with parameters or without. */
const NDJSON = new RegExp(`^${NDJSON_TYPE}\\s*(;|$)`, 'i');

/**
 * `POST /v1/queues/QUEUE/messages`: publishes the request body, with its Content-Type, into a
 * queue trigger's queue (on either broker), for every client that speaks HTTP but not AMQP.
 * With Content-Type application/x-ndjson the body is a batch instead: each non-empty line one
 * JSON message, all checked before the first is published, then published in order (a broker
 * failure midway leaves the earlier ones published: a retry of the batch may repeat them).
 * Only queues some deployed function consumes are accepted: the broker's own queues (its
 * invocation and results queues among them) are never reachable this way.
 *
 * `POST /v1/exchanges/EXCHANGE/messages` does the same through an exchange some deployed
 * function's trigger binds, with the request's `Routing-Key` header (default empty): the message
 * reaches every queue bound by a matching key, and none matching is QUEUE_NOT_FOUND.
 */
export function registerQueueRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  router.post('/v1/queues/:queue/messages', requireScope(deps.tokens, 'invoke'), async (ctx) => {
    const queue = ctx.params.queue ?? '';
    if (!QUEUE_NAME.test(queue)) {
      throw new FjordError('BAD_REQUEST', `"${queue.slice(0, 100)}" is not a valid queue name`);
    }
    const triggers = deps.broker.queues;
    const consumed = (await deps.store.listFunctions()).some(
      (fn) => fn.active.manifest.triggers.queue?.queue === queue,
    );
    if (triggers === undefined || !consumed) {
      throw new FjordError('QUEUE_NOT_FOUND', `no function consumes a queue named "${queue}"`);
    }
    await publishRequest(ctx, deps, { queue }, (message) => triggers.publish(queue, message));
  });

  router.post(
    '/v1/exchanges/:exchange/messages',
    requireScope(deps.tokens, 'invoke'),
    async (ctx) => {
      const exchange = ctx.params.exchange ?? '';
      if (!EXCHANGE_NAME.test(exchange)) {
        throw new FjordError(
          'BAD_REQUEST',
          `"${exchange.slice(0, 100)}" is not a valid exchange name`,
        );
      }
      const routingKey = ctx.get('Routing-Key');
      if (Buffer.byteLength(routingKey) > MAX_ROUTING_KEY_BYTES) {
        throw new FjordError(
          'BAD_REQUEST',
          `the Routing-Key header is longer than ${MAX_ROUTING_KEY_BYTES} bytes`,
        );
      }
      const triggers = deps.broker.queues;
      const bound = (await deps.store.listFunctions()).some(
        (fn) => fn.active.manifest.triggers.queue?.exchange === exchange,
      );
      if (triggers === undefined || !bound) {
        throw new FjordError(
          'EXCHANGE_NOT_FOUND',
          `no function's queue is bound to an exchange named "${exchange}"`,
        );
      }
      await publishRequest(ctx, deps, { exchange, routingKey }, (message) =>
        triggers.publishToExchange(exchange, routingKey, message),
      );
    },
  );
}

/** Publishes the request's message (or NDJSON batch) and answers 202 with `where` and the ids. */
async function publishRequest<Where extends object>(
  ctx: GatewayContext,
  deps: GatewayDeps,
  where: Where,
  publish: (message: OutgoingQueueMessage) => Promise<string>,
): Promise<void> {
  const body = await readBody(ctx, deps.limits.invocation);
  const contentType = ctx.get('Content-Type');
  const headers = messageHeaders(ctx);
  if (NDJSON.test(contentType)) {
    const ids: string[] = [];
    for (const message of batchOf(body, headers)) ids.push(await publish(message));
    ctx.status = 202;
    ctx.body = { ids, ...where };
    return;
  }
  if (JSON_TYPE.test(contentType)) checkJson(body.toString('utf8'), 'message');
  const id = await publish({ body, ...(contentType === '' ? {} : { contentType }), headers });
  ctx.status = 202;
  ctx.body = { id, ...where };
}

function messageHeaders(ctx: GatewayContext): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.headers)) {
    if (name.startsWith(HEADER_PREFIX) && name.length > HEADER_PREFIX.length) {
      headers[name.slice(HEADER_PREFIX.length)] = Array.isArray(value)
        ? value.join(', ')
        : (value ?? '');
    }
  }
  return headers;
}

function checkJson(text: string, what: string): void {
  try {
    JSON.parse(text);
  } catch (error) {
    throw new FjordError('INVALID_JSON', `${what} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The messages of an NDJSON batch, each line checked; blank lines (a final newline) skipped. */
function batchOf(body: Buffer, headers: Record<string, string>): OutgoingQueueMessage[] {
  const messages: OutgoingQueueMessage[] = [];
  const lines = body.toString('utf8').split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    checkJson(line, `line ${index + 1}`);
    messages.push({ body: Buffer.from(line, 'utf8'), contentType: 'application/json', headers });
  }
  if (messages.length === 0) {
    throw new FjordError('BAD_REQUEST', 'the batch has no messages (one JSON message a line)');
  }
  if (messages.length > MAX_PUBLISH_BATCH) {
    throw new FjordError(
      'BAD_REQUEST',
      `a batch may carry at most ${MAX_PUBLISH_BATCH} messages; this one has ${messages.length}`,
    );
  }
  return messages;
}
