/**
 * How the embedded broker routes a message published to an exchange: the rules of RabbitMQ's
 * exchange types, so one fn.json binding behaves the same on both brokers.
 *
 * The embedded broker knows an exchange only from the bindings of queue triggers. An exchange
 * Fjord declares on RabbitMQ is a topic exchange, and RabbitMQ's predefined `amq.*` exchanges
 * have their fixed types, so those are the types here too. An exchange someone declared on
 * RabbitMQ with another type has no equivalent here (there is no AMQP port to declare it on).
 */

/** The exchange types the embedded broker routes by. */
export type ExchangeType = 'direct' | 'fanout' | 'topic';

/**
 * The type of an exchange by its name: RabbitMQ's predefined exchanges keep theirs (a headers
 * exchange bound without arguments, as Fjord binds, takes every message: a fanout), every other
 * one is a topic exchange, as Fjord declares a missing exchange.
 */
export function exchangeTypeOf(exchange: string): ExchangeType {
  switch (exchange) {
    case 'amq.direct':
      return 'direct';
    case 'amq.fanout':
    case 'amq.headers':
    case 'amq.match':
      return 'fanout';
    default:
      return 'topic';
  }
}

/** True when a message with `routingKey` goes through a binding with `bindingKey`. */
export function bindingMatches(
  type: ExchangeType,
  bindingKey: string,
  routingKey: string,
): boolean {
  if (type === 'fanout') return true;
  if (type === 'direct') return bindingKey === routingKey;
  return topicMatches(bindingKey, routingKey);
}

/**
 * RabbitMQ's topic matching: keys are words separated by dots, `*` in the pattern stands for
 * exactly one word and `#` for zero or more. As in RabbitMQ, the empty key has no words (only
 * `#` matches it) and empty words count (`a..b` has three).
 */
export function topicMatches(pattern: string, routingKey: string): boolean {
  const want = words(pattern);
  const have = words(routingKey);
  // reachable[j]: the pattern words seen so far can match the first j words of the key.
  let reachable = have.map(() => false).concat(false);
  reachable[0] = true;
  for (const word of want) {
    const next = reachable.map(() => false);
    for (let j = 0; j <= have.length; j += 1) {
      if (!reachable[j]) continue;
      if (word === '#') {
        // Zero or more words: every later position is reachable too.
        for (let k = j; k <= have.length; k += 1) next[k] = true;
        break;
      }
      if (j < have.length && (word === '*' || word === have[j])) next[j + 1] = true;
    }
    reachable = next;
  }
  return reachable[have.length] === true;
}

function words(key: string): string[] {
  return key === '' ? [] : key.split('.');
}
