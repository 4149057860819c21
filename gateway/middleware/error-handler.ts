import type { ErrorBody } from '../../core/api.ts';
import { FjordError, isFjordError, type ErrorCode } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { GatewayMiddleware } from '../gateway-context.ts';

/** Client errors Koa, the router or raw-body may throw as http-errors, by status. */
const HTTP_ERROR_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'ROUTE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'THROTTLED',
};

/**
 * The one error middleware: every failure becomes `{"error": {"code", "message", "callId"}}`
 * with the status of its code. Messages of client and function errors are shown; platform faults
 * (`expose` false) show a generic message and are logged with their stack, which never reaches
 * the client.
 */
export function errorHandler(logger: Logger): GatewayMiddleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (thrown) {
      const error = toFjordError(thrown);
      const { callId } = ctx.state;
      ctx.state.errorCode = error.code;
      if (!error.expose) {
        logger.error({ err: thrown, callId, method: ctx.method, path: ctx.path }, 'platform fault');
      }
      if (ctx.headerSent) return;
      ctx.status = error.status;
      // Overload and outage are worth retrying soon; tell well-behaved clients when.
      if (error.status === 429 || error.status === 503) {
        ctx.set('Retry-After', String(error.retryAfterSeconds ?? 1));
      }
      const body: ErrorBody = {
        error: {
          code: error.code,
          message: error.expose ? error.message : 'internal error',
          callId,
        },
      };
      ctx.body = body;
    }
  };
}

/** Fjord errors as they are; http-errors by status when they are client errors; else INTERNAL. */
function toFjordError(thrown: unknown): FjordError {
  if (isFjordError(thrown)) return thrown;
  const { status, expose, message } = (thrown ?? {}) as {
    status?: unknown;
    expose?: unknown;
    message?: unknown;
  };
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = HTTP_ERROR_CODES[status] ?? 'BAD_REQUEST';
    const shown = expose === true && typeof message === 'string' ? message : code.toLowerCase();
    return new FjordError(code, shown, { cause: thrown });
  }
  return FjordError.from(thrown);
}
