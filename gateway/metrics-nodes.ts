import { Gauge, type Registry } from 'prom-client';
import type { NodeSummary } from './events.ts';

/** Where the node gauges read the nodes from (the gateway's NodeRegistry). */
export interface NodeSource {
  summaries(): NodeSummary[];
}

type NodeLabel = 'node' | 'hostname';

/**
 * Adds `fjord_node_up`, `fjord_node_capacity` and `fjord_node_inflight` (labels node: its id,
 * hostname) to the gateway's registry, read at scrape time from the heartbeats this gateway
 * heard. A node is 0 from three missed heartbeats until it is forgotten (60 heartbeats), then its
 * series ends. Every gateway hears every node, so alert on `max` over gateways.
 */
export function registerNodeMetrics(registry: Registry, nodes: NodeSource): void {
  const gauge = (name: string, help: string, value: (node: NodeSummary) => number): void => {
    new Gauge<NodeLabel>({
      name,
      help,
      labelNames: ['node', 'hostname'],
      registers: [registry],
      collect() {
        // Reset first: a forgotten node must leave no series behind.
        this.reset();
        for (const node of nodes.summaries()) {
          this.set({ node: node.id, hostname: node.hostname }, value(node));
        }
      },
    });
  };
  gauge(
    'fjord_node_up',
    'A runtime node heard from lately: 1 while it heartbeats, 0 once it missed three heartbeats (until forgotten).',
    (node) => (node.up ? 1 : 0),
  );
  gauge(
    'fjord_node_capacity',
    'Invocations the node takes at once, as of its last heartbeat (0 while draining or down).',
    (node) => (node.up ? (node.capacity ?? 0) : 0),
  );
  gauge(
    'fjord_node_inflight',
    'Invocations running on the node, as of its last heartbeat (0 once down).',
    (node) => (node.up ? node.inflight : 0),
  );
}
