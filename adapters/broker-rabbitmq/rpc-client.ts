import type { Channel, ConsumeMessage, Message } from 'amqplib';
import { FjordError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { InvocationMessage, InvocationResult } from '../../core/messages.ts';
import { CONTENT_TYPE, decode, encode, toFjordError, unavailable } from './codec.ts';
import type { Participant } from './connection-manager.ts';
import { PublishSlot } from './publish-slot.ts';
import type { Session } from './session.ts';
import { REPLY_TO } from './topology.ts';

interface PendingCall {
  fn: string;
  resolve(result: InvocationResult): void;
  reject(error: FjordError): void;
  timer: NodeJS.Timeout;
}

/**
 * Sync invocations over direct reply-to: requests go out on one channel that also consumes
 * `amq.rabbitmq.reply-to` (RabbitMQ requires both on the same channel), so a reply needs no
 * queue of its own. Replies from consumers go out on this channel too.
 *
 * Requests are neither persistent nor confirmed, on purpose: a confirm from a quorum queue waits
 * for a replicated fsync and would roughly double the round trip, while the caller already learns
 * the fate of its request from the reply itself: a lost request ends as INVOCATION_TIMEOUT (or
 * BROKER_UNAVAILABLE when the connection drops), never as a silent 202. Each request carries a
 * per-message expiration equal to the time left until `replyBy`, so RabbitMQ drops it unrun once
 * its caller has given up (quorum queues honour it on 3.10, checked here).
 */
export class RpcClient implements Participant {
  readonly #log: Logger;
  readonly #calls = new Map<string, PendingCall>();
  #session: Session | undefined;
  readonly #slot = new PublishSlot<Channel>();
  #seq = 0;

  constructor(options: { logger: Logger }) {
    this.#log = options.logger.child({ part: 'rpc' });
  }

  async attach(session: Session): Promise<void> {
    const channel: Channel = await session.channel('rpc', () => {
      if (this.#slot.channel !== channel) return;
      this.detach();
      if (!this.#slot.closing && session.alive) {
        this.#log.error({}, 'reply-to channel closed by the broker; reconnecting');
        void session.close();
      }
    });
    channel.on('return', (message: Message) => {
      const pending = this.#take(message.properties.correlationId);
      pending?.reject(
        new FjordError('FUNCTION_NOT_FOUND', `no queue for function "${pending.fn}"`),
      );
    });
    await channel.consume(REPLY_TO, (message) => message && this.#onReply(message), {
      noAck: true,
    });
    this.#session = session;
    this.#slot.attach(channel);
  }

  detach(): void {
    this.#session = undefined;
    this.#slot.detach();
    this.#failAll('the RabbitMQ connection closed before the reply arrived');
  }

  async shutdown(): Promise<void> {
    this.#slot.close();
    const channel = this.#slot.channel;
    this.detach();
    await channel?.close().catch(() => undefined);
  }

  /** Publishes a sync invocation and waits for its reply until `message.replyBy`. */
  async call(exchange: string, message: InvocationMessage): Promise<InvocationResult> {
    const { replyBy } = message;
    if (replyBy === undefined) throw new FjordError('BAD_REQUEST', 'call() needs replyBy');
    const { channel, gate } = await this.#slot.ready('not connected to RabbitMQ');
    const blockedBy = this.#session?.blocked;
    if (blockedBy !== undefined) throw unavailable(`RabbitMQ blocks publishing: ${blockedBy}`);
    const left = replyBy - Date.now();
    if (left <= 0) throw timeout(message.fn.name);
    const correlationId = String(++this.#seq);
    return new Promise<InvocationResult>((resolve, reject) => {
      const timer = setTimeout(
        () => this.#take(correlationId)?.reject(timeout(message.fn.name)),
        left,
      );
      this.#calls.set(correlationId, { fn: message.fn.name, resolve, reject, timer });
      try {
        const ok = channel.publish(exchange, message.fn.name, encode(message), {
          replyTo: REPLY_TO,
          correlationId,
          expiration: String(Math.max(1, left)),
          persistent: false,
          mandatory: true,
          messageId: message.id,
          contentType: CONTENT_TYPE,
          type: 'sync',
        });
        if (!ok) gate.block();
      } catch (error) {
        this.#take(correlationId)?.reject(toFjordError(error, 'could not send the invocation'));
      }
    });
  }

  /** Sends a consumer's result to the caller waiting on `replyTo`. */
  async reply(replyTo: string, correlationId: string, result: InvocationResult): Promise<void> {
    const { channel, gate } = await this.#slot.ready('not connected to RabbitMQ');
    try {
      // Not mandatory: a caller that gave up has no reply queue any more, and that is fine.
      const ok = channel.publish('', replyTo, encode(result), {
        correlationId,
        contentType: CONTENT_TYPE,
      });
      if (!ok) gate.block();
    } catch (error) {
      throw toFjordError(error, 'could not send the reply');
    }
  }

  #onReply(message: ConsumeMessage): void {
    const pending = this.#take(message.properties.correlationId);
    if (pending === undefined) return; // its caller timed out already
    try {
      pending.resolve(decode(message) as InvocationResult);
    } catch (error) {
      pending.reject(toFjordError(error, 'undecodable reply', 'INTERNAL'));
    }
  }

  #take(correlationId: unknown): PendingCall | undefined {
    if (typeof correlationId !== 'string') return undefined;
    const pending = this.#calls.get(correlationId);
    if (pending === undefined) return undefined;
    this.#calls.delete(correlationId);
    clearTimeout(pending.timer);
    return pending;
  }

  #failAll(reason: string): void {
    for (const id of [...this.#calls.keys()]) this.#take(id)?.reject(unavailable(reason));
  }
}

function timeout(fn: string): FjordError {
  return new FjordError('INVOCATION_TIMEOUT', `no reply from function "${fn}" before its deadline`);
}
