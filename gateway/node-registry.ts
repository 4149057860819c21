import type { NodeInfo } from '../core/messages.ts';

/** Heartbeats a node may miss before it is considered gone. */
const MISSED_HEARTBEATS = 3;

/**
 * The runtime nodes this gateway has heard from on the control fanout. Heartbeats are not
 * durable and every gateway hears them all, so each gateway keeps its own view in memory.
 */
export class NodeRegistry {
  readonly #nodes = new Map<string, { info: NodeInfo; lastSeen: number }>();
  readonly #heartbeatMs: number;
  readonly #now: () => number;

  constructor(heartbeatMs: number, now: () => number) {
    this.#heartbeatMs = heartbeatMs;
    this.#now = now;
  }

  record(info: NodeInfo): void {
    this.#nodes.set(info.id, { info, lastSeen: this.#now() });
  }

  /** Nodes heard from recently, by id; forgets the others. */
  list(): { info: NodeInfo; lastSeen: number }[] {
    const cutoff = this.#now() - MISSED_HEARTBEATS * this.#heartbeatMs;
    for (const [id, node] of this.#nodes) {
      if (node.lastSeen < cutoff) this.#nodes.delete(id);
    }
    return [...this.#nodes.values()].sort((a, b) => a.info.id.localeCompare(b.info.id));
  }
}
