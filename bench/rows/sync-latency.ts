/**
 * Row 2, sync HTTP latency of a warm isolate: closed-loop load at each concurrency (after a
 * warm-up at the same concurrency that fills the isolate pool), percentiles of every response.
 * Targets, each started alone so the others sit idle: Fjord through RabbitMQ (also with
 * `--isolate-host inline`, which tells what the isolate host processes' IPC costs) and through the
 * embedded broker (GET /fn/NAME), raw amqplib direct reply-to RPC (to a quorum queue, the type
 * Fjord declares, and to a classic queue, the DESIGN.md anchor's), a bare Koa handler running
 * the same fetch handler in-process, and workerd serving it.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { amqpRpcLoad } from '../anchors/amqp-rpc.ts';
import { prepareWorkerd, startWorkerd } from '../anchors/workerd-anchor.ts';
import type { LatencySummary, Measured } from '../model.ts';
import { startReady } from '../support/child.ts';
import { httpRunner } from '../support/http-load.ts';
import type { LoadRunner } from '../support/load-run.ts';
import { settle } from '../support/settle.ts';
import { summariseLatency } from '../support/stats.ts';
import { startFjord } from '../targets/fjord.ts';
import { logFile, type BenchContext } from './context.ts';

export const LATENCY_TARGETS = [
  'fjordRabbitmq',
  'fjordRabbitmqInline',
  'fjordEmbedded',
  'amqplibRpc',
  'amqplibRpcClassic',
  'koa',
  'workerd',
] as const;
export type LatencyTarget = (typeof LATENCY_TARGETS)[number];

/** Percentiles by concurrency ("1", "10", "50"). */
export type LatencyByConcurrency = Record<string, Measured<LatencySummary>>;

export interface LatencyResults {
  targets: Partial<Record<LatencyTarget, LatencyByConcurrency>>;
  /** ms from spawning workerd to its first response (a process-level cold start). */
  workerdStartMs?: number;
}

interface Started {
  run: LoadRunner;
  stop(): Promise<void>;
}

const ANCHOR_KOA = new URL('../anchors/koa-server.ts', import.meta.url).pathname;
const ANCHOR_RESPONDER = new URL('../anchors/amqp-responder.ts', import.meta.url).pathname;

async function fjordTarget(
  ctx: BenchContext,
  variant: 'embedded' | 'rabbitmq' | 'rabbitmq-inline',
): Promise<Started> {
  const stack = await startFjord({
    dataDir: join(ctx.workDir, `latency-${variant}`),
    logFile: logFile(ctx, `fn-up-latency-${variant}`),
    children: ctx.children,
    ...(variant === 'embedded' ? {} : { broker: ctx.amqpUrl }),
    ...(variant === 'rabbitmq-inline' ? { inlineIsolates: true } : {}),
    ...(ctx.profile === `latency-${variant}` ? { profileDir: ctx.profileDir } : {}),
  });
  const name = `bench-fetch-${variant}`;
  await stack.deploy('bench-fetch', name);
  return { run: httpRunner(`${stack.url}/fn/${name}/?n=1`), stop: () => stack.stop() };
}

async function koaTarget(ctx: BenchContext): Promise<Started> {
  const server = await startReady<{ url: string }>(process.execPath, [ANCHOR_KOA], {
    logFile: logFile(ctx, 'koa'),
    children: ctx.children,
  });
  return { run: httpRunner(`${server.ready.url}/?n=1`), stop: () => server.stop() };
}

async function rpcTarget(ctx: BenchContext, type: 'quorum' | 'classic'): Promise<Started> {
  const queue = `bench.rpc.${type}.${randomBytes(4).toString('hex')}`;
  const responder = await startReady(
    process.execPath,
    [ANCHOR_RESPONDER, ctx.amqpUrl, queue, type, '64'],
    { logFile: logFile(ctx, `amqp-responder-${type}`), children: ctx.children },
  );
  return {
    run: (connections, durationS) => amqpRpcLoad(ctx.amqpUrl, queue, connections, durationS),
    stop: () => responder.stop(),
  };
}

async function measure(ctx: BenchContext, target: Started): Promise<LatencyByConcurrency> {
  const byConcurrency: LatencyByConcurrency = {};
  for (const c of ctx.plan.concurrencies) {
    await target.run(c, ctx.plan.latencyWarmupS);
    const load1 = loadavg()[0] ?? 0;
    const run = await target.run(c, ctx.plan.latencyS);
    const summary = summariseLatency(run.latenciesMs, run.durationS, run.errors);
    byConcurrency[String(c)] = { ...summary, load1 };
    const f = (ms: number): string => ms.toFixed(2);
    ctx.say(
      `  c=${c}: p50 ${f(summary.p50)} p99 ${f(summary.p99)} p99.9 ${f(summary.p999)} ms, ` +
        `${Math.round(summary.perSecond)}/s, ${summary.errors} errors`,
    );
  }
  return byConcurrency;
}

export async function syncLatencyRow(ctx: BenchContext): Promise<LatencyResults> {
  const results: LatencyResults = { targets: {} };
  const workerdDir = join(ctx.workDir, 'workerd');
  const starters: Record<LatencyTarget, () => Promise<Started>> = {
    fjordRabbitmq: () => fjordTarget(ctx, 'rabbitmq'),
    fjordRabbitmqInline: () => fjordTarget(ctx, 'rabbitmq-inline'),
    fjordEmbedded: () => fjordTarget(ctx, 'embedded'),
    amqplibRpc: () => rpcTarget(ctx, 'quorum'),
    amqplibRpcClassic: () => rpcTarget(ctx, 'classic'),
    koa: () => koaTarget(ctx),
    workerd: async () => {
      await prepareWorkerd(workerdDir);
      const server = await startWorkerd(workerdDir, logFile(ctx, 'workerd'), ctx.children);
      results.workerdStartMs = server.startMs;
      return { run: httpRunner(`${server.url}/?n=1`), stop: () => server.stop() };
    },
  };
  const profiled: LatencyTarget | undefined =
    ctx.profile === 'latency-rabbitmq'
      ? 'fjordRabbitmq'
      : ctx.profile === 'latency-embedded'
        ? 'fjordEmbedded'
        : undefined;
  for (const target of LATENCY_TARGETS) {
    if (profiled !== undefined && target !== profiled) continue;
    const byConcurrency = await ctx.attempt(`sync latency, ${target}`, async () => {
      const quiet = await settle();
      ctx.say(
        `sync latency: ${target} (after ${(quiet.waitedMs / 1000).toFixed(1)} s, ` +
          `the CPUs ${Math.round(quiet.busy * 100)}% busy)`,
      );
      const started = await starters[target]();
      try {
        return await measure(ctx, started);
      } finally {
        await started.stop();
      }
    });
    if (byConcurrency !== undefined) results.targets[target] = byConcurrency;
  }
  return results;
}
