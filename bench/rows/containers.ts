/**
 * Row 3 (containers) and the container part of row 4, measured in a fresh child process
 * (bench/probes/container.ts) from the ContainerExecutor, with the base image present: cold start
 * against `docker run` of the same image, warm invoke, memory per warm idle container against a
 * bare node process in the same image, and cold starts under a steady load once warm.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { DurationSummary, Measured } from '../model.ts';
import type { SteadyLoadResult } from '../probes/steady-load.ts';
import { runJson } from '../support/child.ts';
import { logFile, type BenchContext } from './context.ts';

const PROBE = new URL('../probes/container.ts', import.meta.url).pathname;
const ENSURE_DOCKER = fileURLToPath(new URL('../../scripts/ensure-docker.sh', import.meta.url));

export interface ContainerResults {
  /** New version: create, start, shim boot, bundle load, first response. */
  coldStart: DurationSummary;
  /** `docker run --rm IMAGE node -e`: spawn to first output. */
  dockerRun: DurationSummary;
  warmInvoke: DurationSummary;
  /** Memory use of each warm idle container (docker stats), MB. */
  memoryMb: number[];
  mbPerContainer: number;
  /** A bare `node` idling in the base image, MB. */
  bareNodeMb: number;
  steady: SteadyLoadResult;
}

export async function containerRow(ctx: BenchContext): Promise<Measured<ContainerResults>> {
  const p = ctx.plan;
  // Docker is only needed by this row: installed and started (and the base image built) here.
  execFileSync('bash', [ENSURE_DOCKER], { stdio: ['ignore', 'ignore', 'inherit'] });
  ctx.say(
    `containers: ${p.containerColdSamples} cold starts, ${p.containerWarmSamples} warm invocations, ` +
      `${p.containerMemory} idle containers, ${p.containerSteady} under steady load`,
  );
  const load1 = loadavg()[0] ?? 0;
  const args = [
    p.containerColdSamples,
    p.containerWarmSamples,
    p.containerMemory,
    p.containerSteady,
  ].map(String);
  const result = await runJson<ContainerResults>(process.execPath, [PROBE, ...args], {
    logFile: logFile(ctx, 'probe-containers'),
    children: ctx.children,
    timeoutMs: 15 * 60_000,
  });
  return { ...result, load1 };
}
