import { mergeInvocation } from '../merge-invocation.ts';
import type {
  InvocationSummary,
  NodeSummary,
  OverviewFunction,
  OverviewResponse,
  QueueCounts,
} from '../wire.ts';

/** Invocations the page keeps, like the gateway's own recent list. */
const MAX_INVOCATIONS = 200;

/**
 * What the page shows: loaded from the overview, then kept current by live events. Times are
 * the gateway's; `skewMs` turns the browser's clock into the gateway's.
 */
export class Model {
  functions: OverviewFunction[] = [];
  nodes = new Map<string, NodeSummary>();
  heartbeatMs = 5000;
  skewMs = 0;
  // Insertion order is age: the first key is the oldest invocation.
  readonly #invocations = new Map<string, InvocationSummary>();

  /** Takes the present state from `GET /v1/overview`, keeping newer live updates. */
  load(overview: OverviewResponse): void {
    this.functions = overview.functions;
    this.heartbeatMs = overview.heartbeatMs;
    this.skewMs = overview.now - Date.now();
    this.nodes = new Map(overview.nodes.map((node) => [node.id, node]));
    for (const invocation of [...overview.invocations].reverse()) this.invocation(invocation);
  }

  /** Folds in an invocation update; returns the merged state. */
  invocation(update: InvocationSummary): InvocationSummary {
    const merged = mergeInvocation(this.#invocations.get(update.id), update);
    this.#invocations.set(update.id, merged);
    if (this.#invocations.size > MAX_INVOCATIONS) {
      const oldest = this.#invocations.keys().next();
      if (oldest.done !== true) this.#invocations.delete(oldest.value);
    }
    return merged;
  }

  node(node: NodeSummary): void {
    this.nodes.set(node.id, node);
  }

  /** Takes the queue depths and dead letters of a `queues` event into the functions shown. */
  queues(counts: QueueCounts[]): void {
    const byName = new Map(counts.map((count) => [count.name, count]));
    this.functions = this.functions.map((fn) => {
      const count = byName.get(fn.name);
      if (count === undefined) return fn;
      const updated: OverviewFunction = { ...fn, deadLetters: count.deadLetters };
      // A broker that could not tell leaves the depth unknown, not the old one.
      if (count.queued === undefined) delete updated.queued;
      else updated.queued = count.queued;
      return updated;
    });
  }

  /** Newest first. */
  invocations(): InvocationSummary[] {
    return [...this.#invocations.values()].reverse();
  }

  /** Invocations of `fn` waiting (queued or retrying) among those the page knows. */
  waiting(fn: string): number {
    let count = 0;
    for (const invocation of this.#invocations.values()) {
      if (
        invocation.fn === fn &&
        (invocation.status === 'queued' || invocation.status === 'retrying')
      ) {
        count += 1;
      }
    }
    return count;
  }

  /** The gateway's clock, now. */
  now(): number {
    return Date.now() + this.skewMs;
  }

  /** Up while its heartbeats keep coming; the gateway's verdict can be older than the page's. */
  isUp(node: NodeSummary): boolean {
    return node.up && this.now() - node.lastSeen <= 3 * this.heartbeatMs;
  }
}
