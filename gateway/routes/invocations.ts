import type { AcceptedResponse } from '../../core/api.ts';
import { FjordError } from '../../core/errors.ts';
import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { resultError } from '../invoker.ts';
import { requireScope } from '../middleware/auth.ts';
import { readJson } from '../middleware/read-body.ts';
import { serverTiming } from '../server-timing.ts';
import { resultToInvocationView, toInvocationView } from '../views.ts';
import { functionName, queryParam } from './params.ts';

/** Logs shown with one invocation; its full log stays available through the logs route. */
const INVOCATION_LOG_LIMIT = 1000;

/** Event invocations and invocation status. */
export function registerInvocationRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  const { store } = deps;
  const invoke = requireScope(store, 'invoke');

  /**
   * A JSON event for the function's default export. 202 + Location once the broker holds it;
   * with `?wait=true`, the finished InvocationView, whose status is that of its error code when
   * it failed (and whose `error` then reads like every other error body).
   */
  router.post('/v1/functions/:name/invocations', invoke, async (ctx) => {
    const name = functionName(ctx.params);
    const wait = queryParam(ctx.query, 'wait');
    const fn = await deps.functions.get(name);
    if (fn === undefined)
      throw new FjordError('FUNCTION_NOT_FOUND', `function "${name}" does not exist`);
    const data = await readJson(ctx, deps.limits.invocation);
    // An empty body is an event without data; null, because undefined does not survive JSON.
    const invocation = {
      fn,
      callId: ctx.state.callId,
      payload: { kind: 'event', data: data ?? null },
    } as const;

    if (wait === 'true' || wait === '1') {
      const { message, result } = await deps.invoker.call(invocation);
      ctx.set('Server-Timing', serverTiming(message, result));
      ctx.status = result.status === 'succeeded' ? 200 : resultError(result).status;
      ctx.body = resultToInvocationView(message, result);
      return;
    }
    const message = await deps.invoker.accept(invocation);
    ctx.status = 202;
    ctx.set('Location', `/v1/invocations/${message.id}`);
    ctx.body = { id: message.id } satisfies AcceptedResponse;
  });

  router.get('/v1/invocations/:id', invoke, async (ctx) => {
    const id = ctx.params.id ?? '';
    const record = id.length <= 200 ? await store.getInvocation(id) : undefined;
    if (record === undefined) {
      throw new FjordError(
        'INVOCATION_NOT_FOUND',
        `invocation "${id.slice(0, 200)}" does not exist`,
      );
    }
    const logs = await store.listLogs(record.fn, { invocationId: id, limit: INVOCATION_LOG_LIMIT });
    ctx.body = toInvocationView(record, logs);
  });
}
