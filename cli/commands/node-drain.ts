import type { NodeView } from '../../core/api.ts';
import { parseCount } from '../args.ts';
import type { Command } from '../command.ts';
import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { CliError } from '../errors.ts';
import { writeJson, writeLine } from '../output.ts';

const POLL_MS = 500;

export const nodeDrain = defineCommand({
  name: 'node drain',
  summary: 'stop new work on a node and let its in-flight work finish',
  params: ['NAME'],
  description: `
Tells node NAME (an id from \`fn nodes\`, or a hostname: every node on that host) to stop
taking new work: it cancels its consumers, so new invocations go to the other nodes, and
finishes what it runs. It stays up and shows draining, then drained, until \`fn node undrain\`
or until it is stopped; a node started with --exit-when-drained exits by itself once drained.
Rolling upgrade of a host: \`fn node drain HOST --wait\`, then stop the node, upgrade, start it.

--wait waits until every drained node has nothing in flight (or is down); --json prints the
NodeDrainResponse, with --wait {"nodes": [NodeView, ...]} at the end.`,
  options: {
    wait: { type: 'boolean', description: 'wait until the work in flight finished' },
    timeout: {
      type: 'string',
      placeholder: 'SECONDS',
      description: 'give up waiting after this long, exit code 1 (default 600)',
    },
  },
  connects: true,
  async run({ values, positionals }, io) {
    const [name = ''] = positionals;
    const client = connect(values, io);
    const response = await client.drainNode(name, true);
    if (!values.wait) {
      if (values.json) return writeJson(io, response);
      writeLine(io.stdout, `draining ${response.nodes.join(', ')}: \`fn nodes\` shows progress`);
      return;
    }
    if (!values.json) writeLine(io.stderr, `draining ${response.nodes.join(', ')}...`);
    const timeoutS =
      values.timeout === undefined ? 600 : parseCount('node drain', 'timeout', values.timeout);
    const deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      const { nodes } = await client.listNodes();
      const mine = nodes.filter((node) => response.nodes.includes(node.id));
      if (mine.every(isDone)) {
        if (values.json) return writeJson(io, { nodes: mine });
        for (const node of mine) writeLine(io.stdout, `${node.id} ${node.state}`);
        return;
      }
      if (Date.now() > deadline) {
        const left = mine.filter((node) => !isDone(node));
        throw new CliError(
          `still in flight after ${timeoutS} s: ${left.map((n) => `${n.id} (${n.inflight})`).join(', ')}`,
          {
            code: 'DRAIN_TIMEOUT',
            hint: '`fn nodes` shows what is left; wait longer with --timeout',
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  },
});

export const nodeUndrain = defineCommand({
  name: 'node undrain',
  summary: 'let a drained node take work again',
  params: ['NAME'],
  description: `
Tells node NAME (an id, or a hostname: every node on it) to consume its functions' queues
again after \`fn node drain\`. --json prints the NodeDrainResponse.`,
  options: {},
  connects: true,
  async run({ values, positionals }, io) {
    const [name = ''] = positionals;
    const response = await connect(values, io).drainNode(name, false);
    if (values.json) return writeJson(io, response);
    writeLine(io.stdout, `resumed ${response.nodes.join(', ')}`);
  },
});

/** `fn node drain` and `fn node undrain`, which `fn node` dispatches to (server/serve-commands.ts). */
export const NODE_SUBCOMMANDS: readonly Command[] = [nodeDrain, nodeUndrain];

/** A node gone quiet has nothing left that could finish. */
function isDone(node: NodeView): boolean {
  return node.state === 'drained' || node.state === 'down';
}
