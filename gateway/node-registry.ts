import type { NodeInfo } from '../core/messages.ts';
import type { NodeSummary } from './events.ts';

/**
 * Heartbeats a node may miss before it is marked down: with the default 5 s interval, a node
 * unheard for 15 s is down.
 */
export const MISSED_HEARTBEATS = 3;
/** Heartbeats after which a down node is forgotten (5 min by default); until then it shows down. */
export const FORGET_AFTER_HEARTBEATS = 60;

interface Known {
  info: NodeInfo;
  lastSeen: number;
}

/**
 * The runtime nodes this gateway has heard from on the control fanout. Heartbeats are not
 * durable and every gateway hears them all, so each gateway keeps its own view in memory. A
 * node is timed out by its own heartbeat interval when it reports one, else by the gateway's.
 */
export class NodeRegistry {
  readonly #nodes = new Map<string, Known>();
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

  /** Every node still remembered, by id, those that stopped heartbeating marked down. */
  summaries(): NodeSummary[] {
    return this.#known().map(({ info, lastSeen }) => ({
      ...info,
      lastSeen,
      up: this.#isUp(info, lastSeen),
    }));
  }

  /**
   * The remembered nodes `name` designates: the node with that id, else every node on the host
   * of that name (a rolling upgrade drains a host). Empty when none matches.
   */
  find(name: string): NodeSummary[] {
    const nodes = this.summaries();
    const byId = nodes.filter((node) => node.id === name);
    return byId.length > 0 ? byId : nodes.filter((node) => node.hostname === name);
  }

  #isUp(info: NodeInfo, lastSeen: number): boolean {
    return lastSeen >= this.#now() - MISSED_HEARTBEATS * this.#intervalOf(info);
  }

  #intervalOf(info: NodeInfo): number {
    return info.heartbeatMs !== undefined && info.heartbeatMs > 0
      ? info.heartbeatMs
      : this.#heartbeatMs;
  }

  #known(): Known[] {
    const now = this.#now();
    for (const [id, node] of this.#nodes) {
      const forgetBefore = now - FORGET_AFTER_HEARTBEATS * this.#intervalOf(node.info);
      if (node.lastSeen < forgetBefore) this.#nodes.delete(id);
    }
    return [...this.#nodes.values()].sort((a, b) => a.info.id.localeCompare(b.info.id));
  }
}
