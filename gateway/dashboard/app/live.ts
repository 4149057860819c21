import type { GatewayEvent } from '../wire.ts';

/** What {@link follow} reports besides the events themselves. */
export interface LiveHandlers {
  onEvent(event: GatewayEvent): void;
  /** The stream is open: after a reconnect, events may have been missed while it was down. */
  onOpen(reconnected: boolean): void;
  /** The stream dropped; the browser reconnects by itself. */
  onDrop(): void;
  /** The gateway refused the stream (the session ended): no reconnect follows. */
  onClosed(): void;
}

const EVENT_TYPES: GatewayEvent['type'][] = [
  'invocation',
  'function',
  'node',
  'dead-letter',
  'queues',
];

/**
 * Follows `GET /v1/events` with EventSource, which sends the session cookie and reconnects on
 * its own. Returns the function that stops following.
 */
export function follow(handlers: LiveHandlers): () => void {
  const source = new EventSource('/v1/events');
  let opened = false;
  source.addEventListener('open', () => {
    handlers.onOpen(opened);
    opened = true;
  });
  source.addEventListener('error', () => {
    // CLOSED means the gateway answered with an error status: EventSource gives up then.
    if (source.readyState === EventSource.CLOSED) handlers.onClosed();
    else handlers.onDrop();
  });
  for (const type of EVENT_TYPES) {
    source.addEventListener(type, (message) => {
      const data = JSON.parse((message as MessageEvent<string>).data) as GatewayEvent['data'];
      handlers.onEvent({ type, data } as GatewayEvent);
    });
  }
  return () => source.close();
}
