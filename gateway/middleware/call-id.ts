import { acceptCallId, newCallId } from '../../core/ids.ts';
import type { GatewayMiddleware } from '../gateway-context.ts';

/**
 * Gives every request a call id, the client's `X-Call-Id` when it is acceptable, and echoes it on
 * the response before anything can fail, so error responses carry it too. Routes pass it on to
 * the function (`ctx.callId` inside it) and into logs.
 */
export function callId(): GatewayMiddleware {
  // Not async: it has nothing to do after the rest, so it hands on the rest's promise.
  return (ctx, next) => {
    const id = acceptCallId(ctx.get('X-Call-Id') || undefined) ?? newCallId();
    ctx.state.callId = id;
    ctx.set('X-Call-Id', id);
    return next();
  };
}
