import type { Broker } from '../core/broker.ts';
import type { Logger } from '../core/logger.ts';
import type { ResultEvent } from '../core/messages.ts';

/**
 * How long an async invocation runs before its node reports it `started`. Most invocations end
 * well within it, and their `finished` result carries `startedAt` (the store records it from
 * there), so the report would only cost a publish, a confirm and a store write each.
 */
export const STARTED_AFTER_MS = 50;

/**
 * Publishes `event` (an invocation's `started` report) once `afterMs` has passed, unless the
 * returned function is called first: when the invocation ends, it is. The agent publishes
 * through its ResultBatcher, so a report can share a message with results. Progress is advisory,
 * so a report that cannot be published is only logged.
 */
export function reportStartedLate(
  broker: Pick<Broker, 'publishResult'>,
  event: Extract<ResultEvent, { type: 'started' }>,
  log: Logger,
  afterMs = STARTED_AFTER_MS,
): () => void {
  const timer = setTimeout(() => {
    broker
      .publishResult(event)
      .catch((error: unknown) => log.debug({ err: error }, 'started report lost'));
  }, afterMs);
  // A pending report never keeps a stopping process alive.
  timer.unref();
  return () => clearTimeout(timer);
}
