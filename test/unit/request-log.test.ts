/**
 * The request log writes its lines after the responses (on the next setImmediate, one flush for
 * all the requests that finished meanwhile), in the order the requests finished, with the same
 * fields and levels as a line written on its own.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Logger } from '../../core/logger.ts';
import type { GatewayMiddleware } from '../../gateway/gateway-context.ts';
import { requestLog } from '../../gateway/middleware/request-log.ts';

type Line = { level: string; entry: Record<string, unknown>; message: string | undefined };

/** A logger that keeps each line with its level. */
function recordingLogger(lines: Line[]): Logger {
  const keep =
    (level: string) =>
    (entry: object, message?: string): void =>
      void lines.push({ level, entry: { ...entry }, message });
  const logger: Logger = {
    debug: keep('debug'),
    info: keep('info'),
    warn: keep('warn'),
    error: keep('error'),
    child: () => logger,
  };
  return logger;
}

function context(status: number, callId: string, errorCode?: string) {
  return {
    method: 'POST',
    path: `/v1/functions/${callId}/invocations`,
    status,
    state: { callId, ...(errorCode === undefined ? {} : { errorCode }) },
  } as unknown as Parameters<GatewayMiddleware>[0];
}

test('lines of requests finished in one turn are written after it, in the order they finished', async () => {
  const lines: Line[] = [];
  const middleware = requestLog(recordingLogger(lines));
  const finished: Promise<unknown>[] = [];
  const later = Promise.withResolvers<void>();
  finished.push(middleware(context(202, 'slow'), () => later.promise) as Promise<unknown>);
  finished.push(middleware(context(202, 'first'), () => Promise.resolve()) as Promise<unknown>);
  finished.push(
    middleware(context(503, 'failed', 'BROKER_UNAVAILABLE'), () =>
      Promise.resolve(),
    ) as Promise<unknown>,
  );
  later.resolve();
  await Promise.all(finished);
  assert.equal(lines.length, 0, 'no line before the responses are out');
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.deepEqual(
    lines.map(({ level, entry, message }) => ({ level, message, ...entry, ms: typeof entry.ms })),
    [
      {
        level: 'info',
        message: 'request',
        method: 'POST',
        path: '/v1/functions/first/invocations',
        status: 202,
        ms: 'number',
        callId: 'first',
      },
      {
        level: 'warn',
        message: 'request failed',
        method: 'POST',
        path: '/v1/functions/failed/invocations',
        status: 503,
        ms: 'number',
        callId: 'failed',
        code: 'BROKER_UNAVAILABLE',
      },
      {
        level: 'info',
        message: 'request',
        method: 'POST',
        path: '/v1/functions/slow/invocations',
        status: 202,
        ms: 'number',
        callId: 'slow',
      },
    ],
  );
  // A request after the flush gets a flush of its own.
  await middleware(context(200, 'next'), () => Promise.resolve());
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(lines.length, 4);
  assert.equal(lines[3]?.entry.callId, 'next');
});
