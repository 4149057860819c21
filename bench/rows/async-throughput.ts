/**
 * Row 1, async throughput: invocations accepted over HTTP (POST /v1/functions/NAME/invocations,
 * closed-loop keep-alive clients) for the load phase, then counted until every accepted one was
 * recorded as finished (the gateway's fjord_invocations_total). Figure: completed / seconds from
 * the first request to the last completion, after a warm-up of the same load (not counted). Anchors on the same RabbitMQ: raw amqplib (the
 * broker's ceiling) and Celery.
 */
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { amqpThroughput } from '../anchors/amqp-throughput.ts';
import { celeryThroughput } from '../anchors/celery-anchor.ts';
import type { Measured, ThroughputResult } from '../model.ts';
import { httpLoad } from '../support/http-load.ts';
import { treeCpuMs } from '../support/process-tree.ts';
import type { FjordApi } from '../targets/fjord-api.ts';
import { startFjord } from '../targets/fjord.ts';
import { logFile, type BenchContext } from './context.ts';

export interface AsyncResults {
  /** The highest of the runs below: the stack's sustained capacity. */
  fjordEmbedded?: Measured<ThroughputResult> | undefined;
  fjordRabbitmq?: Measured<ThroughputResult> | undefined;
  /** One run per connection count (ctx.plan.asyncConnections), in that order. */
  fjordEmbeddedRuns?: Measured<ThroughputResult>[] | undefined;
  fjordRabbitmqRuns?: Measured<ThroughputResult>[] | undefined;
  amqplib?: Measured<ThroughputResult> | undefined;
  celery?: Measured<ThroughputResult> | undefined;
}

/** Longest wait for a backlog to drain after the load stopped. */
const DRAIN_LIMIT_MS = 5 * 60_000;
/**
 * How often the drain is checked: each check renders the gateway's /metrics in the measured
 * process (a queue depth sample included), so checks are few (one scrape each); a completion
 * is then timed at most this late, a fraction of a percent of a 20 s run.
 */
const DRAIN_POLL_MS = 200;

/** Completed invocations of a function: its succeeded and failed counts. */
type Outcomes = Awaited<ReturnType<FjordApi['outcomes']>>;

/**
 * The async load on function `name` of `stack` for `seconds`, then waits until every accepted
 * one finished (counted from `before`).
 */
async function loadAndDrain(
  stack: FjordApi,
  name: string,
  ctx: BenchContext,
  seconds: number,
  before: Outcomes,
  connections: number,
): Promise<{ accepted: number; rejected: number; loadS: number; done: Outcomes }> {
  const load = await httpLoad({
    url: `${stack.url}/v1/functions/${name}/invocations`,
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ n: 1 }),
    connections,
    durationS: seconds,
  });
  const accepted = load.statuses[202] ?? 0;
  const answered = Object.values(load.statuses).reduce((a, b) => a + b, 0);
  const rejected = answered - accepted + load.errors;
  if (accepted === 0) throw new Error(`async load on ${name}: nothing accepted`);
  ctx.say(
    `  ${accepted} accepted in ${load.durationS} s (${connections} connections), waiting for them to complete`,
  );
  const deadline = performance.now() + DRAIN_LIMIT_MS;
  const done: Outcomes = { succeeded: 0, failed: 0 };
  while (done.succeeded + done.failed < accepted) {
    if (performance.now() > deadline) {
      throw new Error(
        `${name}: only ${done.succeeded + done.failed} of ${accepted} completed in time`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    const now = await stack.outcomes(name);
    done.succeeded = now.succeeded - before.succeeded;
    done.failed = now.failed - before.failed;
  }
  return { accepted, rejected, loadS: load.durationS, done };
}

/**
 * Async load on function `name` of `stack`, then waits until every accepted one finished; the
 * CPU time of the stack's processes (`pids`) is read at both ends. A warm-up load of the same
 * kind runs (and drains) first and is not counted: the row is about sustained throughput, not
 * the first seconds of a process (JIT, the isolates and the broker's queues warming up).
 */
export async function measureFjord(
  stack: FjordApi & { pids(): number[] },
  name: string,
  ctx: BenchContext,
  connectionCounts: number[] = ctx.plan.asyncConnections,
): Promise<Measured<ThroughputResult>[]> {
  const first = connectionCounts[0] ?? 32;
  ctx.say(`  warming up: ${ctx.plan.asyncWarmupS} s of the same load, not counted`);
  await loadAndDrain(stack, name, ctx, ctx.plan.asyncWarmupS, await stack.outcomes(name), first);
  const measured: Measured<ThroughputResult>[] = [];
  for (const connections of connectionCounts) {
    measured.push(await measureOnce(stack, name, ctx, connections));
  }
  return measured;
}

/** The highest sustained rate of `measured` (the row's figure: the stack's capacity). */
export function highest(
  measured: Measured<ThroughputResult>[] | undefined,
): Measured<ThroughputResult> | undefined {
  if (measured === undefined || measured.length === 0) return undefined;
  return measured.reduce((best, m) => (m.perSecond > best.perSecond ? m : best));
}

async function measureOnce(
  stack: FjordApi & { pids(): number[] },
  name: string,
  ctx: BenchContext,
  connections: number,
): Promise<Measured<ThroughputResult>> {
  const before = await stack.outcomes(name);
  const load1 = loadavg()[0] ?? 0;
  const cpuBefore = await treeCpuMs(stack.pids());
  const timeline: number[] = [];
  let last = await stack.finished(name);
  const started = performance.now();
  const sampler = setInterval(() => {
    void stack.finished(name).then((n) => (timeline.push(n - last), (last = n)));
  }, 1000);
  try {
    const { accepted, rejected, loadS, done } = await loadAndDrain(
      stack,
      name,
      ctx,
      ctx.plan.asyncS,
      before,
      connections,
    );
    const totalS = (performance.now() - started) / 1000;
    // A request accepted while its client saw an error (no 202 read) may complete here too:
    // count no more than the 202s.
    const succeeded = Math.min(done.succeeded, accepted);
    const completed = done.succeeded + done.failed;
    const cpuMs = (await treeCpuMs(stack.pids())) - cpuBefore;
    return {
      cpuMsPerInvocation: cpuMs / completed,
      completed: succeeded,
      failed: done.failed,
      perSecond: succeeded / totalS,
      acceptedPerSecond: accepted / loadS,
      loadS,
      totalS,
      timeline,
      rejected,
      connections,
      load1,
    };
  } finally {
    clearInterval(sampler);
  }
}

async function fjordVariant(
  ctx: BenchContext,
  variant: 'embedded' | 'rabbitmq',
): Promise<Measured<ThroughputResult>[]> {
  ctx.say(
    `async throughput: Fjord, ${variant} broker (${ctx.plan.asyncS} s of load at ${ctx.plan.asyncConnections.join(' and ')} connections)`,
  );
  const dataDir = join(ctx.workDir, `async-${variant}`);
  const profileDir = ctx.profile === `async-${variant}` ? ctx.profileDir : undefined;
  const stack = await startFjord({
    dataDir,
    logFile: logFile(ctx, `fn-up-async-${variant}`),
    children: ctx.children,
    ...(variant === 'rabbitmq' ? { broker: ctx.amqpUrl } : {}),
    ...(profileDir ? { profileDir } : {}),
  });
  try {
    const name = `bench-async-${variant}`;
    await stack.deploy('bench-event', name);
    return await measureFjord(stack, name, ctx);
  } finally {
    await stack.stop();
  }
}

export async function asyncThroughputRow(ctx: BenchContext): Promise<AsyncResults> {
  const durationS = ctx.plan.asyncS;
  const fjord = (variant: 'embedded' | 'rabbitmq') =>
    ctx.attempt(`async throughput, Fjord ${variant}`, () => fjordVariant(ctx, variant));
  if (ctx.profile === 'async-embedded') {
    const runs = await fjord('embedded');
    return { fjordEmbedded: highest(runs), fjordEmbeddedRuns: runs };
  }
  if (ctx.profile === 'async-rabbitmq') {
    const runs = await fjord('rabbitmq');
    return { fjordRabbitmq: highest(runs), fjordRabbitmqRuns: runs };
  }
  const embeddedRuns = await fjord('embedded');
  const rabbitmqRuns = await fjord('rabbitmq');
  const amqplib = await ctx.attempt('async throughput, raw amqplib', () => {
    ctx.say('async throughput: raw amqplib, confirms + acks, quorum queue');
    return amqpThroughput({
      url: ctx.amqpUrl,
      durationS,
      warmupS: ctx.plan.asyncWarmupS,
      window: 200,
      prefetch: 256,
    });
  });
  const celery = await ctx.attempt('async throughput, Celery', () => {
    ctx.say('async throughput: Celery, prefork -c 2, acks_late');
    return celeryThroughput({
      url: ctx.amqpUrl,
      durationS,
      warmupS: ctx.plan.asyncWarmupS,
      window: 100,
      logFile: logFile(ctx, 'celery'),
      children: ctx.children,
    });
  });
  return {
    fjordEmbedded: highest(embeddedRuns),
    fjordEmbeddedRuns: embeddedRuns,
    fjordRabbitmq: highest(rabbitmqRuns),
    fjordRabbitmqRuns: rabbitmqRuns,
    amqplib,
    celery,
  };
}
