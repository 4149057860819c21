import { FjordError } from '../../core/errors.ts';
import { isValidFunctionName } from '../../core/names.ts';
import { acceptAsync, answerAccepted, asyncHeaders } from '../async-acceptance.ts';
import type { GatewayContext, GatewayDeps, GatewayMiddleware } from '../gateway-context.ts';
import { toHttpRequestData, writeHttpResponse } from '../http-exchange.ts';
import { resultError } from '../invoker.ts';
import { authenticate } from '../middleware/auth.ts';
import { readBody } from '../middleware/read-body.ts';
import { serverTiming } from '../server-timing.ts';

/** `/fn/NAME` and everything below it; the name ends at the next slash. */
const TRIGGER_PATH = /^\/fn\/([^/]+)(?:\/|$)/;

/**
 * `ANY /fn/NAME/...`: the request goes to the function's `fetch` handler, and its response
 * comes back as it is. Sync by default; `Prefer: respond-async` (RFC 7240) queues it and answers
 * 202 with the invocation's Location (honouring `Idempotency-Key` and `X-Callback-Url`, see
 * async-acceptance.ts). A mounted middleware rather than a router route, since
 * every method and every path below the name belongs to the function.
 */
export function httpTrigger(deps: GatewayDeps): GatewayMiddleware {
  const trigger = triggerOf(deps);
  // Other paths pass on without an async frame of their own: most requests are not for /fn/.
  return (ctx, next) => {
    const name = TRIGGER_PATH.exec(ctx.path)?.[1];
    return name === undefined ? next() : trigger(ctx, name);
  };
}

function triggerOf(deps: GatewayDeps): (ctx: GatewayContext, name: string) => Promise<void> {
  return async (ctx, name) => {
    // An unknown function is a 404 before anything is read or queued.
    const fn = isValidFunctionName(name) ? await deps.functions.get(name) : undefined;
    if (fn === undefined) {
      throw new FjordError('FUNCTION_NOT_FOUND', `function "${name.slice(0, 80)}" does not exist`);
    }
    const isPrivate = !fn.record.active.manifest.triggers.http.public;
    if (isPrivate) await authenticate(ctx, deps.tokens, ['invoke']);
    deps.admission.admit(fn, ctx.state.token);
    const async = prefersAsync(ctx.get('Prefer')) ? asyncHeaders(ctx) : undefined;
    const body = await readBody(ctx, deps.limits.invocation);
    const request = toHttpRequestData(ctx, `/fn/${name}`, body, { dropAuthorization: isPrivate });
    const invocation = {
      fn,
      callId: ctx.state.callId,
      payload: { kind: 'http', request },
    } as const;

    if (async !== undefined) {
      answerAccepted(ctx, await acceptAsync(deps, invocation, async));
      ctx.set('Preference-Applied', 'respond-async');
      return;
    }

    const { message, result } = await deps.invoker.call(invocation);
    ctx.set('Server-Timing', serverTiming(message, result));
    if (result.status === 'failed') throw resultError(result);
    if (result.response === undefined) {
      throw new FjordError(
        'BAD_FUNCTION_RESPONSE',
        'the function returned no HTTP response: HTTP triggers need a fetch handler',
      );
    }
    writeHttpResponse(ctx, result.response);
  };
}

/** True when the Prefer header (RFC 7240) holds `respond-async`, whatever else it holds. */
export function prefersAsync(prefer: string): boolean {
  return prefer
    .split(',')
    .some((preference) => preference.split(';')[0]?.trim().toLowerCase() === 'respond-async');
}
