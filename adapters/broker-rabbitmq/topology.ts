import type { Channel } from 'amqplib';

/** The names of everything the adapter declares, derived from one prefix. */
export interface Names {
  /** Direct exchange for invocations; the routing key is the function name. */
  invocations: string;
  /** Fanout exchange for control events. */
  control: string;
  /** Durable quorum queue of results, shared by every gateway as competing consumers. */
  results: string;
  /** The invocation queue of one function. */
  functionQueue(fn: string): string;
  /** The classic queue of one function's sync calls (see {@link declareSyncQueue}). */
  syncQueue(fn: string): string;
  /** Headers exchange in front of the delay tiers; header {@link DELAY_HEADER} picks the tier. */
  delay: string;
  /** One delay tier: a queue whose messages expire after `ms` into {@link Names.retries}. */
  delayQueue(ms: number): string;
  /**
   * Direct exchange expired retries come back through; every function queue is bound to it by
   * its name. What it cannot route (the function was deleted meanwhile) goes to its alternate
   * exchange, {@link Names.orphans}, and on to the dead letters instead of waiting forever.
   */
  retries: string;
  /** Fanout alternate exchange of {@link Names.retries}, bound to the dead-letters queue. */
  orphans: string;
  /** Durable quorum queue of dead letters, shared by every gateway as competing consumers. */
  deadLetters: string;
}

export function namesFor(prefix: string): Names {
  return {
    invocations: `${prefix}.invocations`,
    control: `${prefix}.control`,
    results: `${prefix}.results`,
    functionQueue: (fn) => `${prefix}.fn.${fn}`,
    syncQueue: (fn) => `${prefix}.sync.${fn}`,
    delay: `${prefix}.delay`,
    delayQueue: (ms) => `${prefix}.delay.${ms}`,
    retries: `${prefix}.retries`,
    orphans: `${prefix}.retries.orphans`,
    deadLetters: `${prefix}.dead-letters`,
  };
}

/** The header that routes a retry to its delay tier (a string: the tier's milliseconds). */
export const DELAY_HEADER = 'x-fjord-delay';

/** Where direct reply-to delivers replies: a pseudo-queue bound to the consuming channel. */
export const REPLY_TO = 'amq.rabbitmq.reply-to';

/**
 * Quorum queues: replicated, durable, and they count deliveries (`x-delivery-count`), which is
 * where `attempt` comes from. The arguments must be identical wherever the queue is declared, or
 * RabbitMQ refuses the declaration with PRECONDITION_FAILED.
 */
function quorumArguments(deliveryLimit?: number): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    ...(deliveryLimit === undefined ? {} : { 'x-delivery-limit': deliveryLimit }),
  };
}

/** Declares the exchanges and the results queue every gateway and node relies on. */
export async function declareShared(channel: Channel, names: Names): Promise<void> {
  await channel.assertExchange(names.invocations, 'direct', { durable: true });
  await channel.assertExchange(names.control, 'fanout', { durable: true });
  // No delivery limit on results: a handler fails there when the store is down, and dropping a
  // result after N quick failures would lose it. Poison results are rejected by the consumer.
  await channel.assertQueue(names.results, { durable: true, arguments: quorumArguments() });
  // Dead letters: same reasoning as results, a failing store must not make them disappear.
  await channel.assertQueue(names.deadLetters, { durable: true, arguments: quorumArguments() });
  await channel.assertExchange(names.orphans, 'fanout', { durable: true });
  await channel.bindQueue(names.deadLetters, names.orphans, '');
  await channel.assertExchange(names.retries, 'direct', {
    durable: true,
    alternateExchange: names.orphans,
  });
  await channel.assertExchange(names.delay, 'headers', { durable: true });
}

/**
 * Declares a function's queue and binds it; idempotent. The queue's arguments are those of the
 * first release on purpose (RabbitMQ refuses a declaration with other arguments, so existing
 * queues could not be upgraded): retries reach it through a binding, which can always be added.
 */
export async function declareFunctionQueue(
  channel: Channel,
  names: Names,
  fn: string,
  deliveryLimit: number,
): Promise<void> {
  const queue = names.functionQueue(fn);
  await channel.assertQueue(queue, { durable: true, arguments: quorumArguments(deliveryLimit) });
  await channel.bindQueue(queue, names.invocations, fn);
  await channel.bindQueue(queue, names.retries, fn);
}

/**
 * How long a sync queue lives without a consumer: a safety net for the queue of a function
 * deleted while its node was away (nothing else would ever delete it). Callers do not depend on
 * it: a call its queue cannot take goes to the function's quorum queue (see RpcClient).
 */
export const SYNC_QUEUE_EXPIRES_MS = 30 * 60 * 1000;

/**
 * Declares the queue of a function's sync calls; idempotent. A sync call waits for its caller,
 * who holds it in memory and gives up at its deadline: replicating it to a quorum buys nothing
 * (its reply travels by direct reply-to, which is never durable either) and costs a replicated
 * write per call. So: a classic queue, transient (a broker node that dies takes it along, and
 * the next declaration creates it on a live node, where a durable one would stay unusable until
 * its node returned), holding non-persistent messages with a per-message expiration.
 */
export async function declareSyncQueue(channel: Channel, names: Names, fn: string): Promise<void> {
  await channel.assertQueue(names.syncQueue(fn), {
    durable: false,
    arguments: { 'x-queue-type': 'classic', 'x-expires': SYNC_QUEUE_EXPIRES_MS },
  });
}

/**
 * Declares one delay tier. Per-message expiration cannot delay retries (RabbitMQ expires only
 * the message at the head of a queue), so every message of a tier waits the same `ms`, then is
 * dead-lettered with its routing key (the function's name) to {@link Names.retries}. The
 * at-least-once strategy keeps a message in the tier until its target confirmed it, so a broker
 * crash in between loses nothing; it requires `reject-publish` overflow.
 */
export async function declareDelayTier(channel: Channel, names: Names, ms: number): Promise<void> {
  const queue = names.delayQueue(ms);
  await channel.assertQueue(queue, {
    durable: true,
    arguments: {
      ...quorumArguments(),
      'x-message-ttl': ms,
      'x-dead-letter-exchange': names.retries,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    },
  });
  await channel.bindQueue(queue, names.delay, '', { 'x-match': 'all', [DELAY_HEADER]: String(ms) });
}
