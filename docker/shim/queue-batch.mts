/**
 * The `batch` a Workers module's `queue(batch, env, ctx)` receives, in both runtimes: the isolate
 * prelude bundles this file (through runtime/isolate/prelude/queue-batch.ts) and the container
 * shim loads it as it is (Node strips the types of an .mts file), so it uses no API of either;
 * base64 and the shape of a thrown error come from the caller ({@link QueueRuntime}).
 *
 * As in Cloudflare Queues: `batch.queue`, `batch.messages` (each with id, timestamp, body,
 * headers, attempts, ack() and retry()), `batch.ackAll()` and `batch.retryAll()`. The first call
 * that settles a message wins; the host settles what the function left open (acked when the
 * handler resolved, retried when it threw). A default-export function (event, ctx) instead runs
 * once per message, with the body as its event; a throw retries that message only.
 */
import type { ErrorData } from '../../core/errors.ts';
import type {
  QueueBatchEvent,
  QueueBatchOutcome,
  QueueDecision,
  QueueMessageData,
  QueueSend,
} from '../../core/messages.ts';
import { createQueueSender } from './queue-sender.mts';

/** What the runtime running the batch provides. */
export interface QueueRuntime {
  fromBase64(text: string): ArrayBuffer;
  toBase64(bytes: Uint8Array): string;
  /** What the function threw, as the error the host reports. */
  errorData(thrown: unknown): ErrorData;
}

type QueueHandler = (batch: unknown, env: unknown, ctx: object) => unknown;
type EventHandler = (event: unknown, ctx: object) => unknown;

/** A batch's event (runtime/queue-batch-run.ts builds it). */
export function isQueueEvent(event: unknown): event is QueueBatchEvent {
  return (
    typeof event === 'object' &&
    event !== null &&
    (event as { type?: unknown }).type === 'queue' &&
    Array.isArray((event as { messages?: unknown }).messages)
  );
}

function decodeBody(body: QueueMessageData['body'], runtime: QueueRuntime): unknown {
  if ('json' in body) return body.json;
  if ('text' in body) return body.text;
  return runtime.fromBase64(body.base64);
}

function retryDecision(options: unknown): QueueDecision {
  const delay = (options as { delaySeconds?: unknown } | undefined)?.delaySeconds;
  return typeof delay === 'number' && Number.isFinite(delay) && delay >= 0
    ? { action: 'retry', delaySeconds: Math.min(delay, 3600) }
    : { action: 'retry' };
}

/** Builds the batch and the decisions its methods record. */
function createBatch(
  event: QueueBatchEvent,
  runtime: QueueRuntime,
): { batch: object; decisions: QueueDecision[] } {
  const decisions: QueueDecision[] = event.messages.map(() => null);
  const decide = (index: number, decision: QueueDecision): void => {
    if (decisions[index] === null) decisions[index] = decision;
  };
  const messages = event.messages.map((data, index) =>
    Object.freeze({
      id: data.id,
      timestamp: new Date(data.timestamp),
      body: decodeBody(data.body, runtime),
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
 * function per message), or undefined when the module has neither. Its ctx is the invocation's,
 * with a ctx.queues that collects what the handler sends into the outcome.
 */
export function queueCall(
  entry: unknown,
  shape: 'handler' | 'object',
  event: QueueBatchEvent,
  env: unknown,
  runtime: QueueRuntime,
): ((ctx: object) => Promise<QueueBatchOutcome>) | undefined {
  const queue = shape === 'object' ? (entry as { queue?: unknown }).queue : undefined;
  if (shape === 'object' && typeof queue !== 'function') return undefined;
  return async (plain) => {
    const sends: QueueSend[] = [];
    const collect = async (batch: QueueSend[]): Promise<void> => {
      sends.push(...batch);
    };
    const ctx = { ...plain, queues: createQueueSender(collect, runtime.toBase64) };
    const outcome = (decisions: QueueDecision[], error: ErrorData | undefined) =>
      ({
        type: 'queue-outcome',
        decisions,
        ...(error === undefined ? {} : { error }),
        ...(sends.length === 0 ? {} : { sends }),
      }) as const;
    if (shape === 'object') {
      const { batch, decisions } = createBatch(event, runtime);
      try {
        await (queue as QueueHandler).call(entry, batch, env, ctx);
        return outcome(decisions, undefined);
      } catch (thrown) {
        return outcome(decisions, runtime.errorData(thrown));
      }
    }
    const decisions: QueueDecision[] = [];
    let error: ErrorData | undefined;
    for (const message of event.messages) {
      try {
        await (entry as EventHandler)(decodeBody(message.body, runtime), ctx);
        decisions.push({ action: 'ack' });
      } catch (thrown) {
        error ??= runtime.errorData(thrown);
        decisions.push({ action: 'retry' });
      }
    }
    return outcome(decisions, error);
  };
}
