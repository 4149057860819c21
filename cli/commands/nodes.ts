import type { NodeView } from '../../core/api.ts';
import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { table, writeJson, writeLine } from '../output.ts';

export const nodes = defineCommand({
  name: 'nodes',
  summary: 'list runtime nodes with their state, load and warm instances',
  params: [],
  description: `
Lists the runtime nodes the gateway has heard from: id, host, state, work in flight against
capacity (the sum of its functions' concurrency), the host's 1-minute load average against its
CPUs, warm isolates/containers, runtimes, Fjord version and the age of its last heartbeat.

Nodes heartbeat every 5 s. States: running; draining (\`fn node drain\`, or stopping) while work
is in flight; drained once none is; down after three heartbeats missed (then forgotten after
sixty). --json prints {"nodes": [NodeView, ...]}.`,
  options: {},
  connects: true,
  async run({ values }, io) {
    const { nodes: list } = await connect(values, io).listNodes();
    if (values.json) return writeJson(io, { nodes: list });
    if (list.length === 0) {
      writeLine(io.stderr, 'no nodes heard from: start one with `fn node` (or `fn up`)');
      return;
    }
    const header = ['NODE', 'HOST', 'STATE', 'IN FLIGHT', 'LOAD', 'WARM', 'RUNTIMES', 'VERSION'];
    writeLine(io.stdout, table([[...header, 'LAST HEARTBEAT'], ...list.map(row)]));
  },
});

function row(node: NodeView): string[] {
  const known = (value: number | undefined): string => (value === undefined ? '?' : String(value));
  return [
    node.id,
    node.hostname,
    node.state,
    `${node.inflight}/${known(node.capacity)}`,
    node.loadAvg === undefined ? '-' : `${node.loadAvg.toFixed(2)}/${known(node.cpus)}`,
    node.warm === undefined ? '-' : `${node.warm.isolate} iso, ${node.warm.container} ctr`,
    node.runtimes?.join(',') ?? '-',
    node.version ?? '-',
    `${formatAge(node.lastSeenAgoMs)} ago`,
  ];
}

/** 0.4s, 12s, 3m, 2h: precise when fresh, coarse when stale. */
export function formatAge(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)}m`;
  return `${Math.round(ms / 3_600_000)}h`;
}
