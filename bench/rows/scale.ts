/**
 * Row 5, scale, on the split deployment (`fn gateway` + `fn node` on RabbitMQ, a vhost per
 * stack): async throughput with 1 and with 2 node processes (what a second node buys on this
 * machine), and sync latency at c=1 with 1, 100 and 300 functions deployed (`--functions-max`; each invoked once
 * before the measurement, so the node follows and has warmed all of them).
 */
import { loadavg } from 'node:os';
import type { LatencySummary, Measured, ThroughputResult } from '../model.ts';
import { httpRunner } from '../support/http-load.ts';
import { summariseLatency } from '../support/stats.ts';
import { bounded } from '../targets/fjord-api.ts';
import { treeMemory, type TreeMemory } from '../support/process-tree.ts';
import { startSplit } from '../targets/fjord-split.ts';
import { DEPLOY_CONCURRENCY } from './agent-memory.ts';
import { measureFjord } from './async-throughput.ts';
import type { BenchContext } from './context.ts';

export interface NodesResults {
  /** By number of node processes ("1", "2"). */
  byNodes: Record<string, Measured<ThroughputResult>>;
}

export interface FunctionsPoint {
  functions: number;
  /** Seconds to deploy the functions added at this step (concurrently, bounded). */
  deployS: number;
  deployed: number;
  latency: Measured<LatencySummary>;
  /** The node (and its isolate hosts) once they were all invoked once and measured. */
  agent: TreeMemory;
}

export interface FunctionsResults {
  points: FunctionsPoint[];
}

export async function nodesRow(ctx: BenchContext): Promise<NodesResults> {
  const byNodes: Record<string, Measured<ThroughputResult>> = {};
  for (const nodes of [1, 2]) {
    const result = await ctx.attempt(`async throughput, ${nodes} node(s)`, async () => {
      ctx.say(`scale: async throughput, fn gateway + ${nodes} fn node (${ctx.plan.asyncS} s)`);
      const stack = await startSplit({
        amqpUrl: ctx.amqpUrl,
        name: `nodes-${nodes}`,
        workDir: ctx.workDir,
        children: ctx.children,
        nodes,
      });
      try {
        await stack.deploy('bench-event', 'bench-nodes');
        // One load, the row's first connection count: what a second node adds to it.
        const [first] = await measureFjord(
          stack,
          'bench-nodes',
          ctx,
          ctx.plan.asyncConnections.slice(0, 1),
        );
        if (first === undefined) throw new Error('no measurement');
        return first;
      } finally {
        await stack.stop();
      }
    });
    if (result !== undefined) byNodes[String(nodes)] = result;
  }
  return { byNodes };
}

export async function functionsRow(ctx: BenchContext): Promise<FunctionsResults> {
  const stack = await startSplit({
    amqpUrl: ctx.amqpUrl,
    name: 'functions',
    workDir: ctx.workDir,
    children: ctx.children,
    nodes: 1,
  });
  const points: FunctionsPoint[] = [];
  try {
    const target = 'bench-fns-0';
    const run = httpRunner(`${stack.url}/fn/${target}/?n=1`);
    let deployed = 0;
    for (const count of ctx.plan.functionCounts) {
      ctx.say(`scale: sync latency at c=1 with ${count} function(s) deployed`);
      const names = Array.from({ length: count - deployed }, (_, i) => `bench-fns-${deployed + i}`);
      const started = performance.now();
      await bounded(names, DEPLOY_CONCURRENCY, (name) => stack.deploy('bench-fetch', name));
      const deployS = (performance.now() - started) / 1000;
      await bounded(names, DEPLOY_CONCURRENCY, (name) => stack.call(name));
      deployed = count;
      await run(1, ctx.plan.latencyWarmupS);
      const load1 = loadavg()[0] ?? 0;
      const measured = await run(1, ctx.plan.latencyS);
      const latency = summariseLatency(measured.latenciesMs, measured.durationS, measured.errors);
      const agent = await treeMemory(stack.nodePids()[0] ?? NaN);
      ctx.say(
        `  deployed ${names.length} in ${deployS.toFixed(1)} s; c=1 p50 ${latency.p50.toFixed(2)} ` +
          `p99 ${latency.p99.toFixed(2)} ms; node PSS ${agent.treePssMb.toFixed(0)} MB`,
      );
      points.push({
        functions: count,
        deployS,
        deployed: names.length,
        latency: { ...latency, load1 },
        agent,
      });
    }
  } finally {
    await stack.stop();
  }
  return { points };
}
