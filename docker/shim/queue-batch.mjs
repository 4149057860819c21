// A queue trigger's batch in a container: the same MessageBatch as the isolate runtime's prelude
// (runtime/isolate/prelude/queue-batch.ts), with the same rules: the first call that settles a
// message wins, the outcome travels as {type: 'queue-outcome', decisions, error?}, and a
// default-export function runs once per message with its body as the event.
import { createQueueSender } from './queue-sender.mjs';
import { thrownReply } from './replies.mjs';

/** @param {unknown} event */
export function isQueueEvent(event) {
  return (
    typeof event === 'object' &&
    event !== null &&
    /** @type {{ type?: unknown }} */ (event).type === 'queue' &&
    Array.isArray(/** @type {{ messages?: unknown }} */ (event).messages)
  );
}

/** @param {{ json?: unknown, text?: string, base64?: string }} body */
function decodeBody(body) {
  if ('json' in body) return body.json;
  if ('text' in body) return body.text;
  const bytes = Buffer.from(body.base64 ?? '', 'base64');
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

/** @param {unknown} options */
function retryDecision(options) {
  const delay = /** @type {{ delaySeconds?: unknown } | undefined} */ (options)?.delaySeconds;
  return typeof delay === 'number' && Number.isFinite(delay) && delay >= 0
    ? { action: 'retry', delaySeconds: Math.min(delay, 3600) }
    : { action: 'retry' };
}

/** @param {any} event */
function createBatch(event) {
  /** @type {(object | null)[]} */
  const decisions = event.messages.map(() => null);
  const decide = (index, decision) => {
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
      retry: (options) => decide(index, retryDecision(options)),
    }),
  );
  const batch = Object.freeze({
    queue: event.queue,
    messages: Object.freeze(messages),
    ackAll: () => messages.forEach((_, i) => decide(i, { action: 'ack' })),
    retryAll: (options) => messages.forEach((_, i) => decide(i, retryDecision(options))),
  });
  return { batch, decisions };
}

/**
 * The call that runs a batch on the module, or undefined when it has no way to take one.
 *
 * @param {any} main
 * @param {'handler' | 'object'} shape
 * @param {any} event
 * @param {Readonly<Record<string, string>>} env
 */
export function queueCall(main, shape, event, env) {
  if (shape === 'object' && typeof main.queue !== 'function') return undefined;
  return async (plain) => {
    const sends = [];
    const ctx = { ...plain, queues: createQueueSender(async (more) => void sends.push(...more)) };
    const outcome = (decisions, error) => ({
      type: 'queue-outcome',
      decisions,
      ...(error === undefined ? {} : { error }),
      ...(sends.length === 0 ? {} : { sends }),
    });
    if (shape === 'object') {
      const { batch, decisions } = createBatch(event);
      try {
        await main.queue(batch, env, ctx);
        return outcome(decisions, undefined);
      } catch (thrown) {
        return outcome(decisions, thrownReply(thrown).error);
      }
    }
    const decisions = [];
    let error;
    for (const message of event.messages) {
      try {
        await main(decodeBody(message.body), ctx);
        decisions.push({ action: 'ack' });
      } catch (thrown) {
        error ??= thrownReply(thrown).error;
        decisions.push({ action: 'retry' });
      }
    }
    return outcome(decisions, error);
  };
}
