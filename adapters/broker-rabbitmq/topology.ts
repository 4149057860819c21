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
}

export function namesFor(prefix: string): Names {
  return {
    invocations: `${prefix}.invocations`,
    control: `${prefix}.control`,
    results: `${prefix}.results`,
    functionQueue: (fn) => `${prefix}.fn.${fn}`,
  };
}

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
}

/** Declares a function's queue and binds it; idempotent. */
export async function declareFunctionQueue(
  channel: Channel,
  names: Names,
  fn: string,
  deliveryLimit: number,
): Promise<void> {
  const queue = names.functionQueue(fn);
  await channel.assertQueue(queue, { durable: true, arguments: quorumArguments(deliveryLimit) });
  await channel.bindQueue(queue, names.invocations, fn);
}
