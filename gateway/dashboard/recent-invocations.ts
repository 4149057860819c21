import type { EventHub, InvocationSummary } from '../events.ts';
import { mergeInvocation } from './merge-invocation.ts';

/**
 * The last invocations this gateway saw, newest first, merged from its live events: what the
 * dashboard lists when it opens, before the event stream takes over. Bounded; in memory, so a
 * restarted gateway starts empty (the store keeps every invocation for `GET /v1/invocations/ID`).
 */
export class RecentInvocations {
  // Map iteration follows insertion: the first key is the oldest invocation.
  readonly #byId = new Map<string, InvocationSummary>();
  readonly #limit: number;
  readonly #unsubscribe: () => void;

  constructor(hub: EventHub, limit: number) {
    this.#limit = limit;
    this.#unsubscribe = hub.subscribe((event) => {
      if (event.type === 'invocation') this.#merge(event.data);
    });
  }

  /** Newest first, at most `limit`. */
  list(limit = this.#limit): InvocationSummary[] {
    return [...this.#byId.values()].reverse().slice(0, limit);
  }

  /** Stops following the hub. */
  close(): void {
    this.#unsubscribe();
  }

  #merge(update: InvocationSummary): void {
    const known = this.#byId.get(update.id);
    this.#byId.set(update.id, mergeInvocation(known, update));
    if (known === undefined && this.#byId.size > this.#limit) {
      const oldest = this.#byId.keys().next();
      if (oldest.done !== true) this.#byId.delete(oldest.value);
    }
  }
}
