import type { Logger } from '../core/logger.ts';
import type { DeadLetter } from '../core/messages.ts';
import type { Store } from '../core/store.ts';
import type { EventHub } from './events.ts';
import { deadLetterEvents } from './events-summaries.ts';

/**
 * Writes the dead letters nodes (and the broker) give up on into their function's dead-letter
 * queue in the store, and publishes the invocation's death when the record shows it. It is the
 * handler of `broker.consumeDeadLetters`: a store failure propagates and the letter comes back,
 * and the store ignores duplicates.
 */
export function createDeadLetterRecorder(
  store: Store,
  logger: Logger,
  events: EventHub,
  onRecorded: () => void,
): (letter: DeadLetter) => Promise<void> {
  return async (letter) => {
    await store.recordDeadLetter(letter);
    const { message, attempt, error, node } = letter;
    logger.warn(
      {
        fn: message.fn.name,
        id: message.id,
        callId: message.callId,
        attempt,
        node,
        code: error.code,
      },
      'invocation dead-lettered',
    );
    // The store ignores the letters of cancelled invocations and stale ones (a copy of a letter
    // already redriven); the events follow the record, or a redriven invocation would read dead.
    const record = await store.getInvocation(message.id);
    if (record?.status === 'dead') {
      for (const event of deadLetterEvents(letter)) events.publish(event);
    }
    onRecorded();
  };
}
