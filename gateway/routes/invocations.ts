import {
  CANCELLATIONS_LIMIT,
  type CancellationListResponse,
  type InvocationView,
} from '../../core/api.ts';
import { FjordError } from '../../core/errors.ts';
import type { InvocationRecord } from '../../core/store.ts';
import { acceptAsync, answerAccepted, asyncHeaders } from '../async-acceptance.ts';
import { toAttemptView } from '../delivery-views.ts';
import { cancelledEvent } from '../events-summaries.ts';
import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { resultError } from '../invoker.ts';
import { requireScope } from '../middleware/auth.ts';
import { readJson } from '../middleware/read-body.ts';
import { serverTiming } from '../server-timing.ts';
import { resultToInvocationView, toInvocationView } from '../views.ts';
import { functionName, queryParam } from './params.ts';

/** Logs shown with one invocation; its full log stays available through the logs route. */
const INVOCATION_LOG_LIMIT = 1000;

/** Event invocations, invocation status and cancellation. */
export function registerInvocationRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  const { store } = deps;
  const invoke = requireScope(deps.tokens, 'invoke');

  /**
   * A JSON event for the function's default export. 202 + Location once the broker holds it;
   * with `?wait=true`, the finished InvocationView, whose status is that of its error code when
   * it failed (and whose `error` then reads like every other error body).
   */
  router.post('/v1/functions/:name/invocations', invoke, async (ctx) => {
    const name = functionName(ctx.params);
    const wait = queryParam(ctx.query, 'wait') ?? '';
    const sync = wait === 'true' || wait === '1';
    const fn = await deps.functions.get(name);
    if (fn === undefined)
      throw new FjordError('FUNCTION_NOT_FOUND', `function "${name}" does not exist`);
    deps.admission.admit(fn, ctx.state.token);
    const async = sync ? undefined : asyncHeaders(ctx);
    const data = await readJson(ctx, deps.limits.invocation);
    // An empty body is an event without data; null, because undefined does not survive JSON.
    const invocation = {
      fn,
      callId: ctx.state.callId,
      payload: { kind: 'event', data: data ?? null },
    } as const;

    if (async === undefined) {
      const { message, result } = await deps.invoker.call(invocation);
      ctx.set('Server-Timing', serverTiming(message, result));
      ctx.status = result.status === 'succeeded' ? 200 : resultError(result).status;
      ctx.body = resultToInvocationView(message, result);
      return;
    }
    answerAccepted(ctx, await acceptAsync(deps, invocation, async));
  });

  router.get('/v1/invocations/:id', invoke, async (ctx) => {
    ctx.body = await invocationView(deps, await existing(deps, ctx.params.id ?? ''));
  });

  /**
   * Cancels a `queued` or `retrying` invocation: nodes hear it on the control fanout and skip
   * the message when it comes; its result, should one still arrive, is not recorded. 409
   * INVOCATION_NOT_CANCELLABLE once it runs or has ended.
   */
  router.delete('/v1/invocations/:id', invoke, async (ctx) => {
    const { id } = await existing(deps, ctx.params.id ?? '');
    const outcome = await store.cancelInvocation(id, deps.now());
    if (outcome === undefined) throw notFound(id);
    const { record } = outcome;
    if (!outcome.cancelled) {
      throw new FjordError(
        'INVOCATION_NOT_CANCELLABLE',
        `invocation "${id}" is ${record.status}: only a queued or retrying invocation can be cancelled`,
      );
    }
    await deps.broker.announce({ type: 'cancelled', fn: record.fn, id }).catch((error: unknown) => {
      // Not durable anyway: a node that misses it runs the invocation, and its result is dropped.
      deps.logger.warn({ err: error, id }, 'cancellation not announced to nodes');
    });
    deps.logger.info({ fn: record.fn, id }, 'invocation cancelled');
    deps.events.publish(cancelledEvent(record, record.endedAt ?? deps.now()));
    ctx.body = await invocationView(deps, record);
  });

  /** For nodes starting late: the cancellations they missed on the control fanout. */
  router.get('/v1/cancellations', requireScope(deps.tokens, 'node'), async (ctx) => {
    const since = queryParam(ctx.query, 'since') ?? '';
    if (!/^\d{1,15}$/.test(since)) {
      throw new FjordError('BAD_REQUEST', 'since must be epoch milliseconds, e.g. ?since=0');
    }
    const ids = await store.listCancelled(Number(since), CANCELLATIONS_LIMIT);
    ctx.body = { ids } satisfies CancellationListResponse;
  });
}

async function existing(deps: GatewayDeps, id: string): Promise<InvocationRecord> {
  const record = id.length <= 200 ? await deps.store.getInvocation(id) : undefined;
  if (record === undefined) throw notFound(id);
  return record;
}

function notFound(id: string): FjordError {
  return new FjordError('INVOCATION_NOT_FOUND', `invocation "${id.slice(0, 200)}" does not exist`);
}

/** The invocation with its logs and attempt history. */
async function invocationView(
  deps: GatewayDeps,
  record: InvocationRecord,
): Promise<InvocationView> {
  const { store } = deps;
  const logs = await store.listLogs(record.fn, {
    invocationId: record.id,
    limit: INVOCATION_LOG_LIMIT,
  });
  const view = toInvocationView(record, logs);
  view.history = (await store.listAttempts(record.id)).map((a) => toAttemptView(a, record.callId));
  return view;
}
