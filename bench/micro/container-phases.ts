/**
 * Where a container cold start goes, phase by phase: the same steps as ContainerInstance's boot
 * (create with the hardened config, start, the shim's socket appearing, POST /load, the first
 * POST /invoke), timed from the host, and the CPU time used inside the container by then (its
 * cgroup: the noise-free part on a busy machine). With several images, the samples alternate between them
 * (A/B runs on a noisy machine). Prints the median and p90 of each phase per image, in ms.
 *
 * Run: node bench/micro/container-phases.ts [SAMPLES] [IMAGE...]
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry } from '../../cli/bundle/esbuild-bundle.ts';
import { MODULE_GLOBAL } from '../../core/api.ts';
import { buildBaseImage } from '../../runtime/container/base-image.ts';
import { containerConfig, SOCKET_NAME } from '../../runtime/container/container-config.ts';
import { DockerEngine } from '../../runtime/container/docker-engine.ts';
import { resolveOptions } from '../../runtime/container/executor-options.ts';
import { ShimClient } from '../../runtime/container/shim-client.ts';
import { socketReady } from '../../runtime/container/socket-ready.ts';
import { BENCH_FUNCTIONS } from '../targets/fjord-api.ts';
import { GET_PAYLOAD } from '../probes/executor-fixture.ts';

const samples = Number(process.argv[2] ?? 10);
const images = process.argv.length > 3 ? process.argv.slice(3) : [await buildBaseImage()];
const cwd = fileURLToPath(new URL('../../', import.meta.url));
const { code } = await bundleEntry(join(BENCH_FUNCTIONS, 'bench-fetch/index.ts'), 'container', {
  cwd,
});
const options = resolveOptions({
  loadCode: async () => code,
  image: images[0] ?? '',
  nodeId: 'phases',
});
const engine = new DockerEngine(options.dockerSocket);
const fn = {
  name: 'phases',
  version: 1,
  bundleSha: 'x',
  runtime: 'container' as const,
  memoryMb: 128,
  timeoutMs: 5000,
  concurrency: 1,
  env: {},
};
const phases: Record<string, Record<string, number[]>> = {};
const mark = (image: string, name: string, ms: number): void => {
  ((phases[image] ??= {})[name] ??= []).push(ms);
};

/** CPU time the container's processes used so far (cgroup v1 or v2), in ms. */
async function containerCpuMs(id: string): Promise<number | undefined> {
  const v1 = `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`;
  const v2 = `/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`;
  const text = await readFile(v1, 'utf8').catch(() => readFile(v2, 'utf8').catch(() => ''));
  if (text === '') return undefined;
  const usec = /usage_usec (\d+)/.exec(text)?.[1];
  return usec === undefined ? Number(text) / 1e6 : Number(usec) / 1e3;
}

async function one(i: number, image: string): Promise<void> {
  const id = `ph${process.pid}-${i}-${images.indexOf(image)}`;
  const dir = join(options.workDir, id);
  await mkdir(dir, { recursive: true, mode: 0o777 });
  const { chown } = await import('node:fs/promises');
  await chown(dir, 1000, 1000);
  const t0 = performance.now();
  const config = containerConfig(
    fn,
    { instanceId: id, owner: 'phases', image, socketDir: dir },
    options,
  );
  const cid = await engine.create(config);
  const t1 = performance.now();
  const ready = socketReady(dir, SOCKET_NAME, AbortSignal.timeout(30_000));
  await engine.start(cid);
  const t2 = performance.now();
  await ready;
  const t3 = performance.now();
  const client = new ShimClient(join(dir, SOCKET_NAME), 64 * 1024 * 1024);
  const signal = AbortSignal.timeout(30_000);
  const filename = 'fjord:///phases@1.js';
  await client.post(
    '/load',
    {
      code,
      filename,
      moduleGlobal: MODULE_GLOBAL,
      env: {},
      maxResponseBytes: 1e7,
      logLimitBytes: 262144,
    },
    signal,
  );
  const t4 = performance.now();
  const reply = await client.post(
    '/invoke',
    {
      payload: GET_PAYLOAD,
      ctx: { invocationId: 'a', callId: 'a', attempt: 1, deadline: Date.now() + 5000 },
    },
    signal,
  );
  const t5 = performance.now();
  if ((reply as { ok?: boolean }).ok !== true) throw new Error(JSON.stringify(reply));
  client.close();
  mark(image, 'create', t1 - t0);
  mark(image, 'start', t2 - t1);
  mark(image, 'ready after start', t3 - t2);
  mark(image, 'load', t4 - t3);
  mark(image, 'first invoke', t5 - t4);
  mark(image, 'total', t5 - t0);
  const cpu = await containerCpuMs(cid);
  if (cpu !== undefined) mark(image, 'CPU in container', cpu);
  await engine.remove(cid);
  await rm(dir, { recursive: true, force: true });
}

for (const image of images) await one(0, image);
for (let i = 1; i <= samples; i++) {
  for (const image of images) await one(i, image);
}
const q = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
for (const [image, byPhase] of Object.entries(phases)) {
  console.log(image);
  for (const [name, xs] of Object.entries(byPhase)) {
    console.log(
      `${name.padEnd(20)} p50 ${q(xs, 0.5).toFixed(1).padStart(7)}  p90 ${q(xs, 0.9).toFixed(1).padStart(7)}`,
    );
  }
}
