/**
 * The live events the gateway publishes, built from what it already handles: accepted messages,
 * result events, dead letters, cancels, redrives and control announcements.
 */
import type { ControlEvent, DeadLetter, InvocationMessage, ResultEvent } from '../core/messages.ts';
import type { InvocationRecord } from '../core/store.ts';
import type { GatewayEvent, InvocationSummary, NodeSummary } from './events.ts';
import { toErrorView } from './views.ts';

/** An async invocation the broker has just confirmed durable. */
export function acceptedEvent(message: InvocationMessage): GatewayEvent {
  return { type: 'invocation', data: queuedSummary(message, message.acceptedAt) };
}

function queuedSummary(message: InvocationMessage, at: number): InvocationSummary {
  return {
    id: message.id,
    fn: message.fn.name,
    version: message.fn.version,
    mode: message.mode,
    status: 'queued',
    attempts: message.priorAttempts ?? 0,
    at,
    queuedAt: at,
  };
}

/**
 * A dead letter enqueued again: queued once more, as of the redrive, with the version it will
 * run (the function's active one). This is what reopens a `dead` invocation in the summaries.
 */
export function redrivenEvent(message: InvocationMessage, at: number): GatewayEvent {
  return { type: 'invocation', data: queuedSummary(message, at) };
}

/** An invocation cancelled through the API, as its record now stands. */
export function cancelledEvent(record: InvocationRecord, at: number): GatewayEvent {
  return {
    type: 'invocation',
    data: {
      id: record.id,
      fn: record.fn,
      version: record.version,
      mode: record.mode,
      status: 'cancelled',
      attempts: record.attempts,
      at,
    },
  };
}

/** A node started or finished an attempt; the status follows the store's rules. */
export function resultEvent(event: ResultEvent): GatewayEvent {
  if (event.type === 'started') {
    return {
      type: 'invocation',
      data: {
        id: event.id,
        fn: event.fn,
        status: 'running',
        attempts: event.attempt,
        node: event.node,
        at: event.startedAt,
        startedAt: event.startedAt,
      },
    };
  }
  const { result } = event;
  const data: InvocationSummary = {
    id: result.id,
    fn: result.fn,
    version: result.version,
    // As in the store (statusAfter): `dead` comes with the dead letter, not with the result.
    status:
      result.next?.action === 'retry'
        ? 'retrying'
        : result.next?.action === 'dead'
          ? 'running'
          : result.status,
    attempts: result.attempt,
    node: result.node,
    at: result.endedAt,
    startedAt: result.startedAt,
    endedAt: result.endedAt,
    durationMs: Math.max(0, result.endedAt - result.startedAt),
  };
  if (result.error !== undefined) {
    const { code, message } = toErrorView(result.error, result.callId);
    data.error = { code, message };
  }
  return { type: 'invocation', data };
}

/** An invocation given up on: its own status change, then the dead-letter queue's growth. */
export function deadLetterEvents(letter: DeadLetter): GatewayEvent[] {
  const { message, error } = letter;
  const { code, message: text } = toErrorView(error, message.callId);
  return [
    {
      type: 'invocation',
      data: {
        id: message.id,
        fn: message.fn.name,
        version: message.fn.version,
        status: 'dead',
        attempts: letter.attempt,
        node: letter.node,
        at: letter.deadAt,
        error: { code, message: text },
      },
    },
    { type: 'dead-letter', data: { fn: message.fn.name, id: message.id, code } },
  ];
}

/** A deploy, rollback or delete announced on the control fanout; undefined for other events. */
export function functionEvent(event: ControlEvent): GatewayEvent | undefined {
  if (event.type === 'deployed') {
    const { name, version } = event.fn;
    return { type: 'function', data: { name, change: 'deployed', version } };
  }
  if (event.type === 'deleted') {
    return { type: 'function', data: { name: event.name, change: 'deleted' } };
  }
  return undefined;
}

/** A heartbeat, as the node list shows it. */
export function nodeEvent(node: NodeSummary): GatewayEvent {
  return { type: 'node', data: node };
}
