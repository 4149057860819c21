import type { Broker } from '../core/broker.ts';
import type { ResultEvent } from '../core/messages.ts';

export interface ResultBatcherOptions {
  broker: Pick<Broker, 'publishResults'>;
  /** Most events in one message. Default 64. */
  maxEvents?: number;
  /** Most bytes of JSON in one message; a larger event goes alone. Default 64 KiB. */
  maxBytes?: number;
  /**
   * Messages that may await their confirm while events still go at once; past it, events wait
   * and go together. Default 2: a second message keeps a result from waiting a whole confirm
   * for the one before it, and the third and later carry the bursts.
   */
  eager?: number;
  /** Most messages awaiting their confirm at once (full bursts go up to it). Default 4. */
  maxInFlight?: number;
}

interface Pending {
  event: ResultEvent;
  /** The event as JSON: measured for the caps, then sent as it is (encoded once). */
  json: string;
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Sends the results (and `started` reports) a node produces close together as one broker message,
 * a burst, instead of one durable message each: one publish and one confirm on the node, one
 * delivery, one ack and one store transaction on the gateway.
 *
 * No timer ever holds an event back. One that finds fewer than `eager` messages awaiting their
 * confirm is published at once; those that come while more await gather and go together as soon
 * as one is confirmed, up to `maxEvents` or `maxBytes` per message (a full burst goes at once,
 * up to `maxInFlight` messages unconfirmed). So a burst is what accumulated during a confirm:
 * nothing at low load, up to the cap at high load.
 *
 * publishResult() resolves once the message holding its event is confirmed, and rejects when it
 * was not, so an invocation acked after awaiting it is still acked only once its result is
 * durable (acks-late), exactly as with a message of its own.
 */
export class ResultBatcher {
  readonly #broker: Pick<Broker, 'publishResults'>;
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  readonly #maxInFlight: number;
  readonly #eager: number;
  #waiting: Pending[] = [];
  #waitingBytes = 0;
  #inFlight = 0;

  constructor(options: ResultBatcherOptions) {
    this.#broker = options.broker;
    this.#maxEvents = options.maxEvents ?? 64;
    this.#maxBytes = options.maxBytes ?? 64 * 1024;
    this.#maxInFlight = options.maxInFlight ?? 4;
    this.#eager = Math.min(options.eager ?? 2, this.#maxInFlight);
  }

  /** Publishes `event` in the next burst; resolves once that burst is confirmed. */
  publishResult(event: ResultEvent): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const json = JSON.stringify(event);
    const bytes = Buffer.byteLength(json);
    this.#waiting.push({ event, json, bytes, resolve, reject });
    this.#waitingBytes += bytes;
    this.#send();
    return promise;
  }

  /** Starts the bursts that may go now: any below `eager` messages unconfirmed, else full ones. */
  #send(): void {
    while (this.#waiting.length > 0 && this.#inFlight < this.#maxInFlight) {
      const full = this.#waiting.length >= this.#maxEvents || this.#waitingBytes >= this.#maxBytes;
      if (this.#inFlight >= this.#eager && !full) return;
      void this.#publish(this.#take());
    }
  }

  /** The oldest waiting events that fit one message (at least one, however large). */
  #take(): Pending[] {
    let count = 0;
    let bytes = 0;
    for (const pending of this.#waiting) {
      if (count === this.#maxEvents || (count > 0 && bytes + pending.bytes > this.#maxBytes)) break;
      count += 1;
      bytes += pending.bytes;
    }
    this.#waitingBytes -= bytes;
    return this.#waiting.splice(0, count);
  }

  async #publish(burst: Pending[]): Promise<void> {
    this.#inFlight += 1;
    try {
      await this.#broker.publishResults(
        burst.map((pending) => pending.event),
        // The body as resultsBody() (core/messages.ts) gives it: one event alone, more as an array.
        burst.length === 1 ? burst[0]?.json : `[${burst.map((pending) => pending.json).join(',')}]`,
      );
      for (const pending of burst) pending.resolve();
    } catch (error) {
      for (const pending of burst) pending.reject(error);
    } finally {
      this.#inFlight -= 1;
      this.#send();
    }
  }
}
