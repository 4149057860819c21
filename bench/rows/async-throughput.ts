/**
 * Row 1, async throughput: invocations accepted over HTTP (POST /v1/functions/NAME/invocations,
 * closed-loop keep-alive clients) for the load phase, then counted until every accepted one was
 * recorded as finished (the gateway's fjord_invocations_total). Figure: completed / seconds from
 * the first request to the last completion. Anchors on the same RabbitMQ: raw amqplib (the
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
  fjordEmbedded?: Measured<ThroughputResult> | undefined;
  fjordRabbitmq?: Measured<ThroughputResult> | undefined;
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

/**
 * Async load on function `name` of `stack`, then waits until every accepted one finished; the
 * CPU time of the stack's processes (`pids`) is read at both ends.
 */
export async function measureFjord(
  stack: FjordApi & { pids(): number[] },
  name: string,
  ctx: BenchContext,
): Promise<Measured<ThroughputResult>> {
  const load1 = loadavg()[0] ?? 0;
  const cpuBefore = await treeCpuMs(stack.pids());
  const timeline: number[] = [];
  let last = 0;
  const started = performance.now();
  const sampler = setInterval(() => {
    void stack.finished(name).then((n) => (timeline.push(n - last), (last = n)));
  }, 1000);
  try {
    const load = await httpLoad({
      url: `${stack.url}/v1/functions/${name}/invocations`,
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ n: 1 }),
      connections: ctx.plan.asyncConnections,
      durationS: ctx.plan.asyncS,
    });
    const accepted = load.statuses[202] ?? 0;
    const answered = Object.values(load.statuses).reduce((a, b) => a + b, 0);
    const rejected = answered - accepted + load.errors;
    if (accepted === 0) throw new Error(`async load on ${name}: nothing accepted`);
    ctx.say(`  ${accepted} accepted in ${load.durationS} s, waiting for them to complete`);
    const deadline = performance.now() + DRAIN_LIMIT_MS;
    let succeeded = 0;
    let failed = 0;
    while (succeeded + failed < accepted) {
      if (performance.now() > deadline) {
        throw new Error(`${name}: only ${succeeded + failed} of ${accepted} completed in time`);
      }
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      ({ succeeded, failed } = await stack.outcomes(name));
    }
    const totalS = (performance.now() - started) / 1000;
    const cpuMs = (await treeCpuMs(stack.pids())) - cpuBefore;
    return {
      cpuMsPerInvocation: cpuMs / (succeeded + failed),
      completed: succeeded,
      failed,
      perSecond: succeeded / totalS,
      acceptedPerSecond: accepted / load.durationS,
      loadS: load.durationS,
      totalS,
      timeline,
      rejected,
      load1,
    };
  } finally {
    clearInterval(sampler);
  }
}

async function fjordVariant(
  ctx: BenchContext,
  variant: 'embedded' | 'rabbitmq',
): Promise<Measured<ThroughputResult>> {
  ctx.say(`async throughput: Fjord, ${variant} broker (${ctx.plan.asyncS} s of load)`);
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
  if (ctx.profile === 'async-embedded') return { fjordEmbedded: await fjord('embedded') };
  if (ctx.profile === 'async-rabbitmq') return { fjordRabbitmq: await fjord('rabbitmq') };
  const fjordEmbedded = await fjord('embedded');
  const fjordRabbitmq = await fjord('rabbitmq');
  const amqplib = await ctx.attempt('async throughput, raw amqplib', async () => {
    ctx.say('async throughput: raw amqplib, confirms + acks, quorum queue');
    const load1 = loadavg()[0] ?? 0;
    const result = await amqpThroughput({
      url: ctx.amqpUrl,
      durationS,
      window: 200,
      prefetch: 256,
    });
    return { ...result, load1 };
  });
  const celery = await ctx.attempt('async throughput, Celery', async () => {
    ctx.say('async throughput: Celery, prefork -c 2, acks_late');
    const load1 = loadavg()[0] ?? 0;
    const result = await celeryThroughput({
      url: ctx.amqpUrl,
      durationS,
      window: 100,
      logFile: logFile(ctx, 'celery'),
      children: ctx.children,
    });
    return { ...result, load1 };
  });
  return { fjordEmbedded, fjordRabbitmq, amqplib, celery };
}
