/**
 * Rows 3 and 4, measured in fresh child processes (bench/probes) so nothing else in the heap
 * or on the event loop of this process colours them: isolate cold start from the executor
 * against bare isolated-vm, and RSS per warm idle isolate against bare isolates + contexts.
 */
import { loadavg } from 'node:os';
import type { DurationSummary, Measured } from '../model.ts';
import type { SteadyLoadResult } from '../probes/steady-load.ts';
import { runJson } from '../support/child.ts';
import { logFile, type BenchContext } from './context.ts';

const COLD_START = new URL('../probes/cold-start.ts', import.meta.url).pathname;
const MEMORY = new URL('../probes/isolate-memory.ts', import.meta.url).pathname;

export interface ColdStartResults {
  /** A new version, from one of the executor's blank isolates booted ahead (what users get). */
  fjord: DurationSummary;
  /** A new version with no blank isolate: the isolate made from the prelude snapshot first. */
  fromNothing?: DurationSummary;
  /** The same executor invoking the version again, warm: what a cold start adds to it. */
  warmInvoke: DurationSummary;
  /** One isolate invoked hundreds of times already, as a steady stream of calls finds it. */
  warmSteady?: DurationSummary;
  /** An isolate + context from the prelude snapshot: the function-independent part. */
  preludeIsolate?: DurationSummary;
  isolatedVm: DurationSummary;
  /** A new version of the Hono example app (functions/hono-app), GET /api/books/1. */
  hono?: DurationSummary;
  honoWarmInvoke?: DurationSummary;
  /** Cold starts of the hello handler under a steady load once warm (target none). */
  steady?: SteadyLoadResult;
}

export interface MemoryProbe {
  count: number;
  instances: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  mbPerIsolate: number;
}

export interface MemoryResults {
  fjord: Measured<MemoryProbe>;
  isolatedVm: Measured<MemoryProbe>;
}

export async function coldStartRow(ctx: BenchContext): Promise<Measured<ColdStartResults>> {
  ctx.say(
    `isolate cold start: ${ctx.plan.coldStartSamples} new versions (hello, Hono app), ` +
      'executor vs isolated-vm',
  );
  const load1 = loadavg()[0] ?? 0;
  const probe = await runJson<ColdStartResults>(
    process.execPath,
    [COLD_START, String(ctx.plan.coldStartSamples)],
    { logFile: logFile(ctx, 'probe-cold-start'), children: ctx.children },
  );
  return { ...probe, load1 };
}

export async function memoryRow(ctx: BenchContext): Promise<MemoryResults> {
  const n = String(ctx.plan.memoryIsolates);
  ctx.say(`memory: RSS of ${n} warm idle isolates, executor vs isolated-vm`);
  const probe = async (mode: string): Promise<Measured<MemoryProbe>> => {
    const load1 = loadavg()[0] ?? 0;
    const result = await runJson<MemoryProbe>(process.execPath, ['--expose-gc', MEMORY, mode, n], {
      logFile: logFile(ctx, `probe-memory-${mode}`),
      children: ctx.children,
    });
    if (result.instances < result.count) {
      throw new Error(
        `memory probe ${mode}: ${result.instances} of ${result.count} isolates alive`,
      );
    }
    return { ...result, load1 };
  };
  return { fjord: await probe('fjord'), isolatedVm: await probe('baseline') };
}
