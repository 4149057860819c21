/**
 * Row 4, the agent's memory: a `fn node` (split deployment on RabbitMQ) with no function
 * deployed, with one, and with N deployed and each invoked once, then left idle. Measured as the
 * PSS of the node and its child processes (isolate hosts), and the RSS of the node process.
 */
import { loadavg } from 'node:os';
import { bounded } from '../targets/fjord-api.ts';
import { treeMemory, type TreeMemory } from '../support/process-tree.ts';
import { startSplit } from '../targets/fjord-split.ts';
import type { BenchContext } from './context.ts';

export interface AgentMemoryResults {
  functions: number;
  /** The node with nothing deployed. */
  none: TreeMemory;
  /** With one function, invoked once (one-time costs such as the prelude snapshot paid). */
  one: TreeMemory;
  /** With `functions` deployed and each invoked once, idle. */
  all: TreeMemory;
  /** Tree PSS growth per function from one to all, MB. */
  perFunctionMb: number;
  load1: number;
}

/** Requests in flight while deploying or warming many functions. */
export const DEPLOY_CONCURRENCY = 8;

/**
 * Memory once it stopped moving: read every second until two readings of the tree's PSS are
 * within 1 MB (at most 15 s).
 */
export async function settledMemory(pid: number): Promise<TreeMemory> {
  let last = await treeMemory(pid);
  for (let i = 0; i < 15; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await treeMemory(pid);
    if (Math.abs(now.treePssMb - last.treePssMb) < 1) return now;
    last = now;
  }
  return last;
}

export async function agentMemoryRow(ctx: BenchContext): Promise<AgentMemoryResults> {
  const n = ctx.plan.agentFunctions;
  ctx.say(`agent memory: fn node with 0, 1 and ${n} functions (each invoked once, idle)`);
  const load1 = loadavg()[0] ?? 0;
  const stack = await startSplit({
    amqpUrl: ctx.amqpUrl,
    name: 'agent-memory',
    workDir: ctx.workDir,
    children: ctx.children,
    nodes: 1,
  });
  try {
    const pid = stack.nodePids()[0] ?? NaN;
    const none = await settledMemory(pid);
    const names = Array.from({ length: n }, (_, i) => `bench-memory-${i}`);
    await stack.deploy('bench-fetch', names[0] ?? '');
    await stack.call(names[0] ?? '');
    const one = await settledMemory(pid);
    const rest = names.slice(1);
    await bounded(rest, DEPLOY_CONCURRENCY, (name) => stack.deploy('bench-fetch', name));
    await bounded(rest, DEPLOY_CONCURRENCY, (name) => stack.call(name));
    const all = await settledMemory(pid);
    const shown = [none, one, all].map((m) => `${m.treePssMb.toFixed(1)} MB`).join(', ');
    ctx.say(`  PSS of the node and its ${all.processes - 1} child process(es): ${shown}`);
    const perFunctionMb = (all.treePssMb - one.treePssMb) / (n - 1);
    return { functions: n, none, one, all, perFunctionMb, load1 };
  } finally {
    await stack.stop();
  }
}
