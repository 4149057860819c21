import { performance } from 'node:perf_hooks';
import type { ErrorCode } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { GatewayMiddleware } from '../gateway-context.ts';

/** The fields of one request's line. */
interface Entry {
  method: string;
  path: string;
  status: number;
  ms: number;
  callId: string;
  code?: ErrorCode;
}

/**
 * One structured line per request. Only the method, the path (never the query string, which may
 * carry secrets), the status, the time and the call id: no headers, so no Authorization value
 * can end up in a log. `ms` is the time until the response was ready to be written.
 */
export function requestLog(logger: Logger): GatewayMiddleware {
  // The fields below cannot hold a secret, so the logger's redaction paths (wildcards, about half
  // of a line's cost: 6 -> 3 µs) are not run over them.
  const log = logger.child({}, { redact: [] });
  // Lines of the requests answered since the last flush, in the order they finished: one
  // setImmediate writes them all, instead of an Immediate and a closure per request.
  let waiting: Entry[] = [];
  const flush = (): void => {
    const entries = waiting;
    waiting = [];
    for (const entry of entries) {
      if (entry.status >= 500) log.warn(entry, 'request failed');
      else log.info(entry, 'request');
    }
  };
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const entry: Entry = {
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Math.round((performance.now() - started) * 100) / 100,
        callId: ctx.state.callId,
      };
      if (ctx.state.errorCode !== undefined) entry.code = ctx.state.errorCode;
      // Written once the response is out (Koa writes it after the middleware): the line is a
      // JSON line and a synchronous write to stdout, which would otherwise hold every response back.
      if (waiting.length === 0) setImmediate(flush);
      waiting.push(entry);
    }
  };
}
