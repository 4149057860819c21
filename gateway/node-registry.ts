import type { NodeInfo } from '../core/messages.ts';
import type { NodeSummary } from './events.ts';

/** Heartbeats a node may miss before it is considered gone. */
const MISSED_HEARTBEATS = 3;
/** Heartbeats after which a gone node is forgotten; until then the dashboard shows it down. */
const FORGET_AFTER_HEARTBEATS = 60;

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

  /** Records a heartbeat; returns the node as the dashboard shows it. */
  record(info: NodeInfo): NodeSummary {
    const lastSeen = this.#now();
    this.#nodes.set(info.id, { info, lastSeen });
    return { ...info, lastSeen, up: true };
  }

  /** Nodes heard from recently, by id. */
  list(): { info: NodeInfo; lastSeen: number }[] {
    const cutoff = this.#now() - MISSED_HEARTBEATS * this.#heartbeatMs;
    return this.#known().filter((node) => node.lastSeen >= cutoff);
  }

  /** Every node still remembered, by id, those that stopped heartbeating marked down. */
  summaries(): NodeSummary[] {
    const cutoff = this.#now() - MISSED_HEARTBEATS * this.#heartbeatMs;
    return this.#known().map(({ info, lastSeen }) => ({
      ...info,
      lastSeen,
      up: lastSeen >= cutoff,
    }));
  }

  #known(): { info: NodeInfo; lastSeen: number }[] {
    const forgetBefore = this.#now() - FORGET_AFTER_HEARTBEATS * this.#heartbeatMs;
    for (const [id, node] of this.#nodes) {
      if (node.lastSeen < forgetBefore) this.#nodes.delete(id);
    }
    return [...this.#nodes.values()].sort((a, b) => a.info.id.localeCompare(b.info.id));
  }
}
