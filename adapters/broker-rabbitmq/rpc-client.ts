import type { Channel, ConsumeMessage, Message } from 'amqplib';
import { FjordError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { InvocationMessage, InvocationResult } from '../../core/messages.ts';
import { CONTENT_TYPE, decode, encode, toFjordError, unavailable } from './codec.ts';
import type { Participant } from './connection-manager.ts';
import { PublishSlot, type ReadyChannel } from './publish-slot.ts';
import type { Session } from './session.ts';
import { REPLY_TO, type Names } from './topology.ts';

const NOT_CONNECTED = 'not connected to RabbitMQ';

type Ready = ReadyChannel<Channel>;

interface PendingCall {
  fn: string;
  replyBy: number;
  resolve(result: InvocationResult): void;
  reject(error: FjordError): void;
  timer: NodeJS.Timeout;
}

/**
 * Sync invocations over direct reply-to: requests go out on one channel that also consumes
 * `amq.rabbitmq.reply-to` (RabbitMQ requires both on the same channel), so a reply needs no
 * queue of its own. Replies from consumers go out on this channel too.
 *
 * A request goes to its function's sync queue (a transient classic queue, see
 * topology.ts declareSyncQueue) through the default exchange. When that queue is missing (a
 * broker node took it along, or nobody declared it since a restart) the broker returns the
 * request, and it goes to the function's quorum queue instead, which the nodes consume too; only
 * a request that queue cannot take either is FUNCTION_NOT_FOUND.
 *
 * Requests are neither persistent nor confirmed, on purpose: the caller learns the fate of its
 * request from the reply itself: a lost request ends as INVOCATION_TIMEOUT (or
 * BROKER_UNAVAILABLE when the connection drops), never as a silent 202. Each request carries a
 * per-message expiration equal to the time left until `replyBy`, so RabbitMQ drops it unrun once
 * its caller has given up.
 */
export class RpcClient implements Participant {
  readonly #log: Logger;
  readonly #names: Names;
  readonly #calls = new Map<string, PendingCall>();
  #session: Session | undefined;
  readonly #slot = new PublishSlot<Channel>();
  #seq = 0;

  constructor(options: { logger: Logger; names: Names }) {
    this.#log = options.logger.child({ part: 'rpc' });
    this.#names = options.names;
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
    channel.on('return', (message: Message) => this.#onReturn(channel, message));
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
  async call(message: InvocationMessage): Promise<InvocationResult> {
    const { replyBy } = message;
    if (replyBy === undefined) throw new FjordError('BAD_REQUEST', 'call() needs replyBy');
    // Mostly the channel is there with room: the request goes out in this tick. Otherwise it
    // waits in line with the others (PublishSlot.inLine).
    const ready = this.#slot.now();
    if (ready !== undefined) return this.#request(ready, message, replyBy);
    return this.#slot.inLine(NOT_CONNECTED, (r) => this.#request(r, message, replyBy));
  }

  /** Sends a consumer's result to the caller waiting on `replyTo`. */
  async reply(replyTo: string, correlationId: string, result: InvocationResult): Promise<void> {
    const ready = this.#slot.now();
    if (ready !== undefined) return this.#reply(ready, replyTo, correlationId, result);
    return this.#slot.inLine(NOT_CONNECTED, (r) => this.#reply(r, replyTo, correlationId, result));
  }

  #reply(
    { channel, gate }: Ready,
    replyTo: string,
    correlationId: string,
    result: InvocationResult,
  ): void {
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

  /** Sends one request on a ready channel; the promise settles with its reply or its failure. */
  #request(
    { channel, gate }: Ready,
    message: InvocationMessage,
    replyBy: number,
  ): Promise<InvocationResult> {
    const blockedBy = this.#session?.blocked;
    if (blockedBy !== undefined) {
      return Promise.reject(unavailable(`RabbitMQ blocks publishing: ${blockedBy}`));
    }
    const left = replyBy - Date.now();
    if (left <= 0) return Promise.reject(timeout(message.fn.name));
    const correlationId = String(++this.#seq);
    return new Promise<InvocationResult>((resolve, reject) => {
      const timer = setTimeout(
        () => this.#take(correlationId)?.reject(timeout(message.fn.name)),
        left,
      );
      const fn = message.fn.name;
      this.#calls.set(correlationId, { fn, replyBy, resolve, reject, timer });
      const sent = this.#send(channel, '', this.#names.syncQueue(fn), encode(message), {
        correlationId,
        messageId: message.id,
        left,
      });
      if (!sent) gate.block();
    });
  }

  /** Publishes one request; false when the channel's write buffer is full. */
  #send(
    channel: Channel,
    exchange: string,
    routingKey: string,
    body: Buffer,
    options: { correlationId: string; messageId: unknown; left: number },
  ): boolean {
    const { correlationId, left } = options;
    try {
      return channel.publish(exchange, routingKey, body, {
        replyTo: REPLY_TO,
        correlationId,
        expiration: String(Math.max(1, left)),
        persistent: false,
        mandatory: true,
        ...(typeof options.messageId === 'string' ? { messageId: options.messageId } : {}),
        contentType: CONTENT_TYPE,
        type: 'sync',
      });
    } catch (error) {
      this.#take(correlationId)?.reject(toFjordError(error, 'could not send the invocation'));
      return true;
    }
  }

  /**
   * A request nothing could route: from the sync queue it goes on to the function's quorum
   * queue (through the invocations exchange); from there it is FUNCTION_NOT_FOUND.
   */
  #onReturn(channel: Channel, message: Message): void {
    const correlationId: unknown = message.properties.correlationId;
    const pending = typeof correlationId === 'string' ? this.#calls.get(correlationId) : undefined;
    if (pending === undefined || typeof correlationId !== 'string') return;
    const left = pending.replyBy - Date.now();
    if (message.fields.exchange !== '' || this.#slot.channel !== channel) {
      this.#take(correlationId)?.reject(
        new FjordError('FUNCTION_NOT_FOUND', `no queue for function "${pending.fn}"`),
      );
      return;
    }
    if (left <= 0) return void this.#take(correlationId)?.reject(timeout(pending.fn));
    this.#log.debug({ fn: pending.fn }, 'no sync queue; the call goes to the function queue');
    this.#send(channel, this.#names.invocations, pending.fn, message.content, {
      correlationId,
      messageId: message.properties.messageId,
      left,
    });
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
