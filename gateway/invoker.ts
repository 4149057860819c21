import type { Broker } from '../core/broker.ts';
import { FjordError, isFjordError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Logger } from '../core/logger.ts';
import type { InvocationMessage, InvocationPayload, InvocationResult } from '../core/messages.ts';
import type { Store } from '../core/store.ts';
import type { EventHub } from './events.ts';
import { acceptedEvent } from './events-summaries.ts';
import type { ActiveFunction } from './function-catalog.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { ResultRecorder } from './result-recorder.ts';
import { SyncRecordBatch } from './sync-record-batch.ts';

/** How long a sync call's record waits for others to be written with (gateway/sync-record-batch.ts). */
const SYNC_RECORD_DELAY_MS = 10;
/** Sync records written together at most. */
const SYNC_RECORD_BATCH = 64;

/** One invocation as a route asks for it. */
export interface InvocationRequest {
  fn: ActiveFunction;
  callId: string;
  payload: InvocationPayload;
}

/** The parts of the gateway an {@link Invoker} needs. */
export interface InvokerOptions {
  store: Store;
  broker: Broker;
  logger: Logger;
  metrics: GatewayMetrics;
  events: EventHub;
  syncMarginMs: number;
  now: () => number;
  /** Records results as the result recorder does (gateway/result-recorder.ts). */
  record: ResultRecorder;
  /** Told of each accepted invocation with a callback (CallbackDispatcher.expect). */
  onCallback?: () => void;
}

/** Hands invocations to the broker, sync (waiting for the result) or async (accepted, queued). */
export class Invoker {
  readonly #options: InvokerOptions;
  /** Sync results to record after their response went out. */
  readonly #records: SyncRecordBatch;

  constructor(options: InvokerOptions) {
    this.#options = options;
    this.#records = new SyncRecordBatch({
      ...options,
      delayMs: SYNC_RECORD_DELAY_MS,
      maxSize: SYNC_RECORD_BATCH,
    });
  }

  /**
   * Runs a sync invocation and resolves with its result, failed ones included. Rejects with
   * BROKER_UNAVAILABLE when it cannot be sent, INVOCATION_TIMEOUT when no reply came in time.
   *
   * The record is written here, from the reply, once the caller has its answer (within
   * SYNC_RECORD_DELAY_MS, with the others of its batch): the result does not travel a second
   * time through a durable queue for it, which cost a replicated write, a delivery and an ack per
   * call. The node publishes it that way only when this gateway may not get the reply (the
   * caller's deadline ran out, or the reply could not be sent): see the agent's `#answer`.
   * Recording is idempotent, so both ways at once do no harm.
   */
  async call(
    request: InvocationRequest,
  ): Promise<{ message: InvocationMessage; result: InvocationResult }> {
    const message = this.#message(request, 'sync');
    // The caller waits for the function's own timeout plus a margin for queueing and transport;
    // the message expires then too, so no node starts work nobody is waiting for.
    message.replyBy = message.acceptedAt + request.fn.spec.timeoutMs + this.#options.syncMarginMs;
    this.#assertBrokerUsable();
    const result = await this.#options.broker.call(message).catch(asBrokerError);
    this.#options.metrics.accepted(message.fn.name, 'sync');
    this.#records.add(result);
    return { message, result };
  }

  /** Resolves once the sync results received so far are recorded (or failed to be). */
  async settle(): Promise<void> {
    await this.#records.settle();
  }

  /**
   * Accepts an async invocation: resolves once the broker confirmed the message durable and its
   * record exists, so a 202 answered after it is a promise the platform can keep. `id` is given
   * when the caller claimed it first (an idempotency key); `callbackUrl` is called back at the end.
   */
  async accept(
    request: InvocationRequest,
    options: { id?: string; callbackUrl?: string } = {},
  ): Promise<InvocationMessage> {
    const { store, broker, logger, metrics } = this.#options;
    const message = this.#message(request, 'async', options.id);
    this.#assertBrokerUsable();
    // Enqueue first, record second. A failed enqueue then leaves nothing behind: no phantom
    // "queued" record for an invocation that will never run, and no compensating write that
    // could itself fail. A result that overtakes the record is not lost either:
    // store.recordResult creates the record when it is missing, and createInvocation then only
    // fills in the acceptance facts and keeps the progress. (A "started" report that overtakes
    // it is lost, which only delays "running" until the result: progress is advisory.)
    await broker.enqueue(message).catch(asBrokerError);
    metrics.accepted(message.fn.name, 'async');
    try {
      await store.createInvocation(
        {
          id: message.id,
          callId: message.callId,
          fn: message.fn.name,
          version: message.fn.version,
          mode: 'async',
          trigger: message.payload.kind === 'http' ? 'http' : 'event',
          status: 'queued',
          attempts: 0,
          queuedAt: message.acceptedAt,
        },
        options.callbackUrl === undefined ? {} : { callbackUrl: options.callbackUrl },
      );
      if (options.callbackUrl !== undefined) this.#options.onCallback?.();
    } catch (error) {
      // The message is durable and will run, and its result will create the record (the result
      // recorder retries until the store is back). Failing now would only make the client send
      // it again and run it twice, so the acceptance stands.
      logger.error(
        { err: error, id: message.id, callId: message.callId, fn: message.fn.name },
        'invocation queued but its record could not be written yet',
      );
    }
    this.#options.events.publish(acceptedEvent(message));
    return message;
  }

  #message(
    request: InvocationRequest,
    mode: InvocationMessage['mode'],
    id = newId(),
  ): InvocationMessage {
    return {
      id,
      callId: request.callId,
      fn: request.fn.spec,
      mode,
      payload: request.payload,
      acceptedAt: this.#options.now(),
    };
  }

  /** A broker known to be down answers 503 at once instead of after the adapter's timeouts. */
  #assertBrokerUsable(): void {
    const { state } = this.#options.broker;
    if (state === 'down' || state === 'closed') {
      throw new FjordError('BROKER_UNAVAILABLE', 'the broker is unavailable; try again shortly');
    }
  }
}

/** The error a failed result stands for, rebuilt from its wire form. */
export function resultError(result: InvocationResult): FjordError {
  return result.error === undefined
    ? new FjordError('INTERNAL', `invocation ${result.id} failed without an error`)
    : FjordError.from(result.error);
}

/**
 * The port promises Fjord errors; anything else from an adapter still means the invocation was
 * not handed over, which the client must see as 503, never as a success.
 */
function asBrokerError(error: unknown): never {
  if (isFjordError(error)) throw error;
  throw new FjordError('BROKER_UNAVAILABLE', 'the broker did not take the invocation', {
    cause: error,
  });
}
