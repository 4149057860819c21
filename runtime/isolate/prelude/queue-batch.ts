/**
 * The `batch` a Workers module's `queue(batch, env, ctx)` receives, as in Cloudflare Queues:
 * `batch.queue`, `batch.messages` (each with id, timestamp, body, headers, attempts, ack() and
 * retry()), `batch.ackAll()` and `batch.retryAll()`. The first call that settles a message wins;
 * the host settles what the function left open (acked when the handler resolved, retried when it
 * threw). A default-export function (event, ctx) instead runs once per message, with the body as
 * its event; a throw retries that message only.
 */
import type { ErrorData } from '../../../core/errors.ts';
import type {
  QueueBatchEvent,
  QueueBatchOutcome,
  QueueDecision,
  QueueMessageData,
  QueueSend,
} from '../../../core/messages.ts';
import { atob } from './base64.ts';
import type { FunctionContext } from './function-context.ts';
import { functionError } from './function-errors.ts';
import { createQueueSender } from './queue-sender.ts';

type QueueHandler = (batch: unknown, env: unknown, ctx: FunctionContext) => unknown;
type EventHandler = (event: unknown, ctx: FunctionContext) => unknown;

/** A batch's event (runtime/queue-batch-run.ts builds it). */
export function isQueueEvent(event: unknown): event is QueueBatchEvent {
  return (
    typeof event === 'object' &&
    event !== null &&
    (event as { type?: unknown }).type === 'queue' &&
    Array.isArray((event as { messages?: unknown }).messages)
  );
}

function decodeBody(body: QueueMessageData['body']): unknown {
  if ('json' in body) return body.json;
  if ('text' in body) return body.text;
  const binary = atob(body.base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

function retryDecision(options: unknown): QueueDecision {
  const delay = (options as { delaySeconds?: unknown } | undefined)?.delaySeconds;
  return typeof delay === 'number' && Number.isFinite(delay) && delay >= 0
    ? { action: 'retry', delaySeconds: Math.min(delay, 3600) }
    : { action: 'retry' };
}

function toErrorData(thrown: unknown): ErrorData {
  const { code, message, name, stack } = functionError(thrown);
  return {
    code,
    message,
    ...(name === undefined ? {} : { name }),
    ...(stack === undefined ? {} : { stack }),
  };
}

/** Builds the batch and the decisions its methods record. */
function createBatch(event: QueueBatchEvent): { batch: object; decisions: QueueDecision[] } {
  const decisions: QueueDecision[] = event.messages.map(() => null);
  const decide = (index: number, decision: QueueDecision): void => {
    if (decisions[index] === null) decisions[index] = decision;
  };
  const messages = event.messages.map((data, index) =>
    Object.freeze({
      id: data.id,
      timestamp: new Date(data.timestamp),
      body: decodeBody(data.body),
      headers: Object.freeze({ ...data.headers }),
      contentType: data.contentType,
      attempts: data.attempts,
      ack: () => decide(index, { action: 'ack' }),
      retry: (options?: unknown) => decide(index, retryDecision(options)),
    }),
  );
  const batch = Object.freeze({
    queue: event.queue,
    messages: Object.freeze(messages),
    ackAll: () => messages.forEach((_, i) => decide(i, { action: 'ack' })),
    retryAll: (options?: unknown) => messages.forEach((_, i) => decide(i, retryDecision(options))),
  });
  return { batch, decisions };
}

/**
 * The call that runs a batch on the module (queue() of a Workers module, or the default-export
 * function per message), or undefined when the module has neither.
 */
export function queueCall(
  entry: unknown,
  shape: 'handler' | 'object',
  event: QueueBatchEvent,
  env: unknown,
): ((ctx: FunctionContext) => Promise<QueueBatchOutcome>) | undefined {
  const queue = shape === 'object' ? (entry as { queue?: unknown }).queue : undefined;
  if (shape === 'object' && typeof queue !== 'function') return undefined;
  return async (plain) => {
    const sends: QueueSend[] = [];
    const collect = async (batch: QueueSend[]): Promise<void> => {
      sends.push(...batch);
    };
    const ctx = { ...plain, queues: createQueueSender(collect) };
    const outcome = (decisions: QueueDecision[], error: ErrorData | undefined) =>
      ({
        type: 'queue-outcome',
        decisions,
        ...(error === undefined ? {} : { error }),
        ...(sends.length === 0 ? {} : { sends }),
      }) as const;
    if (shape === 'object') {
      const { batch, decisions } = createBatch(event);
      try {
        await (queue as QueueHandler).call(entry, batch, env, ctx);
        return outcome(decisions, undefined);
      } catch (thrown) {
        return outcome(decisions, toErrorData(thrown));
      }
    }
    const decisions: QueueDecision[] = [];
    let error: ErrorData | undefined;
    for (const message of event.messages) {
      try {
        await (entry as EventHandler)(decodeBody(message.body), ctx);
        decisions.push({ action: 'ack' });
      } catch (thrown) {
        error ??= toErrorData(thrown);
        decisions.push({ action: 'retry' });
      }
    }
    return outcome(decisions, error);
  };
}
