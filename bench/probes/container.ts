/**
 * Containers, from the ContainerExecutor directly (as a node uses it, no gateway), with the base
 * image present:
 * - cold start: each sample invokes a new version of the hello fetch handler, so a container is
 *   created, started, boots the shim, loads the bundle and answers (coldStart checked); the
 *   version is then evicted. Anchor: `docker run --rm` of the same image running `node -e`,
 *   from spawn to its first output (the Docker CLI's own cold start, no Fjord in it);
 * - warm invoke: sequential invocations of one warm container;
 * - memory: the cgroup memory use (`docker stats`) of N warm idle containers, each invoked once,
 *   against a bare `node` process idling in the same image;
 * - cold starts under a steady load once warm (see steady-load.ts).
 * Prints one JSON line.
 *
 * Run: node bench/probes/container.ts COLD_SAMPLES WARM_SAMPLES MEMORY_CONTAINERS STEADY_COUNT
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bundleEntry } from '../../cli/bundle/esbuild-bundle.ts';
import { buildBaseImage } from '../../runtime/container/base-image.ts';
import { ContainerExecutor } from '../../runtime/container/container-executor.ts';
import { summariseDurations } from '../support/stats.ts';
import { BENCH_FUNCTIONS } from '../targets/fjord-api.ts';
import { context, expectOutcome, GET_PAYLOAD, specOf } from './executor-fixture.ts';
import { steadyLoad } from './steady-load.ts';

const run = promisify(execFile);
const [coldSamples = 10, warmSamples = 100, memoryCount = 5, steadyCount = 200] = process.argv
  .slice(2)
  .map(Number);
/** Generous: a container start on a busy machine can take seconds. */
const BUDGET_MS = 60_000;

const image = await buildBaseImage();
const entry = join(BENCH_FUNCTIONS, 'bench-fetch/index.ts');
const cwd = fileURLToPath(new URL('../../', import.meta.url));
const { code } = await bundleEntry(entry, 'container', { cwd });
const fn = { code, sha: 'bench-fetch-container' };
const executor = new ContainerExecutor({
  loadCode: async () => code,
  image,
  nodeId: 'bench-containers',
});
const container = { runtime: 'container' as const, memoryMb: 128, timeoutMs: BUDGET_MS };

async function coldStarts(): Promise<number[]> {
  const times: number[] = [];
  // The first start also warms the engine's caches (image layers, the bundle cache): dropped.
  for (let i = 0; i <= coldSamples; i++) {
    const spec = specOf(fn, 'bench-cold', i + 1, container);
    const started = performance.now();
    expectOutcome(await executor.invoke(spec, GET_PAYLOAD, context(BUDGET_MS)), true);
    if (i > 0) times.push(performance.now() - started);
    await executor.evict('bench-cold');
  }
  return times;
}

async function warmInvokes(): Promise<number[]> {
  const spec = specOf(fn, 'bench-warm', 1, container);
  expectOutcome(await executor.invoke(spec, GET_PAYLOAD, context(BUDGET_MS)), true);
  const times: number[] = [];
  for (let i = 0; i < warmSamples; i++) {
    const started = performance.now();
    expectOutcome(await executor.invoke(spec, GET_PAYLOAD, context(BUDGET_MS)), false);
    times.push(performance.now() - started);
  }
  return times;
}

/** Memory use of each container, in MB, as `docker stats` reports it (cgroup usage less cache). */
async function memoryMb(ids: string[]): Promise<number[]> {
  const { stdout } = await run('docker', [
    'stats',
    '--no-stream',
    '--format',
    '{{.MemUsage}}',
    ...ids,
  ]);
  return stdout
    .trim()
    .split('\n')
    .map((line) => parseSize(line.split('/')[0] ?? ''));
}

function parseSize(text: string): number {
  const match = /([\d.]+)\s*([KMG]i?B|B)/.exec(text.trim());
  if (match === null) throw new Error(`docker stats: cannot read "${text}"`);
  const unit = { B: 2 ** -20, KiB: 2 ** -10, KB: 2 ** -10, MiB: 1, MB: 1, GiB: 1024, GB: 1024 };
  return Number(match[1]) * (unit[match[2] as keyof typeof unit] ?? NaN);
}

async function warmContainersMemory(): Promise<number[]> {
  for (let i = 0; i < memoryCount; i++) {
    const spec = specOf(fn, `bench-memory-${i}`, 1, container);
    expectOutcome(await executor.invoke(spec, GET_PAYLOAD, context(BUDGET_MS)), true);
  }
  const ids = executor
    .containers()
    .filter((c) => c.fn.startsWith('bench-memory-'))
    .map((c) => c.containerId)
    .filter((id): id is string => id !== undefined);
  if (ids.length < memoryCount) throw new Error(`${ids.length} of ${memoryCount} containers alive`);
  return memoryMb(ids);
}

/** `docker run` from spawn to the first byte on stdout. */
async function dockerRun(): Promise<number> {
  const started = performance.now();
  const child = spawn(
    'docker',
    ['run', '--rm', '--network', 'none', '--entrypoint', 'node', image, '-e', 'console.log(1)'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  const first = await Promise.race([once(child.stdout, 'data').then(() => true), exited]);
  const ms = performance.now() - started;
  await exited;
  if (first !== true) throw new Error(`docker run of ${image} printed nothing`);
  return ms;
}

/** A bare node process idling in the base image: what any container running Node costs. */
async function bareNodeMemory(): Promise<number> {
  const { stdout } = await run('docker', [
    'run',
    '-d',
    '--rm',
    '--network',
    'none',
    '--entrypoint',
    'node',
    image,
    '-e',
    'setInterval(() => {}, 1e6)',
  ]);
  const id = stdout.trim();
  try {
    return (await memoryMb([id]))[0] ?? NaN;
  } finally {
    await run('docker', ['rm', '-f', id]);
  }
}

function note(message: string): void {
  process.stderr.write(`[container probe ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

try {
  note(`${coldSamples} cold starts`);
  const cold = await coldStarts();
  note(`${warmSamples} warm invocations`);
  const warm = await warmInvokes();
  note(`memory of ${memoryCount} warm containers`);
  const memory = await warmContainersMemory();
  note(`${steadyCount} invocations under a steady load`);
  const steady = await steadyLoad(
    executor,
    specOf(fn, 'bench-steady', 1, { ...container, concurrency: 2 }),
    GET_PAYLOAD,
    steadyCount,
    BUDGET_MS,
  );
  note('docker run anchor');
  const dockerRuns: number[] = [];
  await dockerRun(); // the first one warms the CLI's and the engine's caches
  for (let i = 0; i < coldSamples; i++) dockerRuns.push(await dockerRun());
  const bare = await bareNodeMemory();
  console.log(
    JSON.stringify({
      coldStart: summariseDurations(cold),
      warmInvoke: summariseDurations(warm),
      memoryMb: memory,
      mbPerContainer: memory.reduce((a, b) => a + b, 0) / memory.length,
      bareNodeMb: bare,
      steady,
      dockerRun: summariseDurations(dockerRuns),
    }),
  );
} finally {
  await executor.dispose();
}
