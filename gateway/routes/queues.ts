import type { QueuePublishResponse } from '../../core/api.ts';
import { FjordError } from '../../core/errors.ts';
import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { requireScope } from '../middleware/auth.ts';
import { readBody } from '../middleware/read-body.ts';

/** Request headers that become message headers: `Message-Header-Tenant: acme` gives `tenant`. */
const HEADER_PREFIX = 'message-header-';
/** As fn.json `triggers.queue.queue` allows. */
const QUEUE_NAME = /^(?!amq\.)[A-Za-z0-9._:-]{1,200}$/;

/**
 * `POST /v1/queues/QUEUE/messages`: publishes the request body, with its Content-Type, into a
 * queue trigger's queue (on either broker), for every client that speaks HTTP but not AMQP.
 * Only queues some deployed function consumes are accepted: the broker's own queues (its
 * invocation and results queues among them) are never reachable this way.
 */
export function registerQueueRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  router.post('/v1/queues/:queue/messages', requireScope(deps.store, 'invoke'), async (ctx) => {
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
    const body = await readBody(ctx, deps.limits.invocation);
    const contentType = ctx.get('Content-Type');
    if (/^application\/([^/;]+\+)?json\s*(;|$)/i.test(contentType)) {
      try {
        JSON.parse(body.toString('utf8'));
      } catch (error) {
        throw new FjordError(
          'INVALID_JSON',
          `message is not valid JSON: ${(error as Error).message}`,
        );
      }
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(ctx.headers)) {
      if (name.startsWith(HEADER_PREFIX) && name.length > HEADER_PREFIX.length) {
        headers[name.slice(HEADER_PREFIX.length)] = Array.isArray(value)
          ? value.join(', ')
          : (value ?? '');
      }
    }
    const id = await triggers.publish(queue, {
      body,
      ...(contentType === '' ? {} : { contentType }),
      headers,
    });
    ctx.status = 202;
    ctx.body = { id, queue } satisfies QueuePublishResponse;
  });
}
